import { growMemory, webAssembly, type WasmMemory, type WasmModule } from '../core/wasm-module.js';
import { RUN_LINES_WASM } from './generated/run-lines-wasm.js';
import { CorpusIds } from '../core/corpus-ids.js';
import type { RankedList } from './ranked-list.js';

export interface RunLinesExports {
  memory: WasmMemory;
  heap_base(): number;
  format_lines(
    ids: number,
    starts: number,
    lengths: number,
    idCount: number,
    rows: number,
    scores: number,
    from: number,
    count: number,
    prefix: number,
    prefixLength: number,
    suffix: number,
    suffixLength: number,
    trec: number,
    trecRoom: number,
    json: number,
    jsonRoom: number,
  ): number;
  trec_length(): number;
  json_length(): number;
  shortest_decimal_at(x: number, out: number): number;
}

let compiled: WasmModule | undefined;
/** The compile compileRunLinesAhead started. */
let compiling: Promise<void> | undefined;

/** A fresh instance of wasm/run-lines.c (the module is compiled once). */
export function runLinesInstance(): RunLinesExports {
  compiled ??= new webAssembly.Module(Buffer.from(RUN_LINES_WASM, 'base64'));
  return new webAssembly.Instance(compiled, {}).exports as unknown as RunLinesExports;
}

/**
 * Starts compiling the module on the engine's background threads, so that the first runLinesInstance finds it
 * compiled: eval asks for it as a task starts, and its writes, after the search, no longer wait for the compile
 * (~3-7 ms of the main thread on the VM). Resolves once it is compiled; a failed compile is left to runLinesInstance.
 */
export function compileRunLinesAhead(): Promise<void> {
  compiling ??= webAssembly.compile(Buffer.from(RUN_LINES_WASM, 'base64')).then(
    (module) => {
      compiled ??= module;
    },
    () => undefined,
  );
  return compiling;
}

/** Bytes of each output room: a flush of the lines formatted into it costs one copy. */
const ROOM = 1 << 16;

/**
 * A run's run.trec lines and score.json entries formatted in WebAssembly (wasm/run-lines.c): the same bytes as
 * TrecLineWriter.line and ScoreJsonWriter.document with ScoreText, for lines whose id is printable ASCII without
 * `"` and `\` and whose score is zero or a plain decimal. The caller writes the other lines itself, one at a time.
 *
 * Each id is copied into the module's memory once (all lists of a retriever's run share one table, its corpus ids).
 */
export class RunLines {
  private readonly wasm: RunLinesExports;
  private bytes: Uint8Array;
  private readonly trecAt: number;
  private readonly jsonAt: number;
  private readonly roomsEnd: number;
  /** The id table whose ids are being copied (undefined: none yet); per row, 2 once its id is in memory. */
  private table: RankedList['ids'] | undefined;
  private copied = new Uint8Array(0);
  /** Where each row's id starts (from idsAt) and its length, and where the ids copied so far lie. */
  private startsAt = 0;
  private lengthsAt = 0;
  private idsAt = 0;
  private idsEnd = 0;
  /** The list whose rows and scores are in memory, and where its parts are. */
  private list: RankedList | undefined;
  private listAt = 0;
  private rowsAt = 0;
  private prefix: Uint8Array | undefined;
  private prefixAt = 0;
  private suffix: Uint8Array | undefined;
  private suffixAt = 0;
  /** The run.trec lines of the last format(), valid until the next call. */
  trec: Uint8Array = new Uint8Array(0);
  /** The score.json entries of the last format(), likewise. */
  json: Uint8Array = new Uint8Array(0);

  constructor() {
    this.wasm = runLinesInstance();
    this.trecAt = align(this.wasm.heap_base());
    this.jsonAt = this.trecAt + ROOM;
    this.roomsEnd = this.jsonAt + ROOM;
    this.bytes = this.reserve(this.roomsEnd);
  }

  /**
   * Formats `list`'s positions from `from` on, as many as it can: it stops before a line it leaves to the caller,
   * or when its room is full. `prefix` is the query's `qid Q0 ` and `suffix` ` tag\n`, as UTF-8. Returns the next
   * position; `trec` and `json` then hold the text of positions from .. next - 1.
   */
  format(list: RankedList, from: number, prefix: Uint8Array, suffix: Uint8Array): number {
    if (list.ids !== this.table) this.startTable(list.ids);
    if (list !== this.list || prefix !== this.prefix || suffix !== this.suffix) {
      this.encodeIds(list.rows);
      this.place(list, prefix, suffix);
    }
    const { wasm } = this;
    const next = wasm.format_lines(
      this.idsAt,
      this.startsAt,
      this.lengthsAt,
      list.ids.length,
      this.rowsAt,
      this.listAt,
      from,
      list.length,
      this.prefixAt,
      prefix.length,
      this.suffixAt,
      suffix.length,
      this.trecAt,
      ROOM,
      this.jsonAt,
      ROOM,
    );
    this.trec = this.bytes.subarray(this.trecAt, this.trecAt + wasm.trec_length());
    this.json = this.bytes.subarray(this.jsonAt, this.jsonAt + wasm.json_length());
    return next;
  }

  /**
   * Starts on a new id table: room for where each id is, none copied yet; a corpus's ids (CorpusIds) are UTF-8
   * bytes already, and are copied at once, in one block.
   */
  private startTable(ids: RankedList['ids']): void {
    this.table = ids;
    this.list = undefined;
    this.copied = new Uint8Array(ids.length);
    this.startsAt = this.roomsEnd;
    this.lengthsAt = this.startsAt + 4 * ids.length;
    this.idsAt = align(this.lengthsAt + 4 * ids.length);
    this.idsEnd = this.idsAt;
    if (ids instanceof CorpusIds) {
      this.bytes = this.reserve(this.idsAt + ids.bytes.length);
      this.bytes.set(ids.bytes, this.idsAt);
      this.idsEnd += ids.bytes.length;
    }
  }

  /**
   * Makes the ids of `rows` not copied yet known to the module: a corpus's ids (in memory since startTable) by
   * where they are; ids given as strings are copied after the others, one byte per UTF-16 unit, 0xff for a unit
   * above ASCII. A byte above ASCII makes the module leave that id's lines to the caller. Only the ids a run ranks
   * are copied: leetcode's 142k lines use about a third of its 414k ids. A loop here costs a fraction of ids.join()
   * and encoding it.
   */
  private encodeIds(rows: Uint32Array): void {
    const ids = this.table!;
    const copied = this.copied;
    if (ids instanceof CorpusIds) {
      const starts = new Uint32Array(this.bytes.buffer, this.startsAt, ids.length);
      const lengths = new Uint32Array(this.bytes.buffer, this.lengthsAt, ids.length);
      const { offsets } = ids;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (row >= ids.length || copied[row] !== 0) continue;
        copied[row] = 2;
        starts[row] = offsets[row]!;
        lengths[row] = offsets[row + 1]! - offsets[row]!;
      }
      return;
    }
    let units = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row < ids.length && copied[row] === 0) {
        copied[row] = 1;
        units += ids[row]!.length;
      }
    }
    if (units === 0) return;
    this.bytes = this.reserve(this.idsEnd + units);
    const bytes = this.bytes;
    const starts = new Uint32Array(bytes.buffer, this.startsAt, ids.length);
    const lengths = new Uint32Array(bytes.buffer, this.lengthsAt, ids.length);
    let at = this.idsEnd;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row >= ids.length || copied[row] !== 1) continue;
      copied[row] = 2;
      const id = ids[row]!;
      starts[row] = at - this.idsAt;
      lengths[row] = id.length;
      for (let unit = 0; unit < id.length; unit++) {
        const code = id.charCodeAt(unit);
        bytes[at++] = code < 0x80 ? code : 0xff;
      }
    }
    this.idsEnd = at;
  }

  /** Copies the list's scores and rows, the prefix and the suffix into memory after the ids copied so far. */
  private place(list: RankedList, prefix: Uint8Array, suffix: Uint8Array): void {
    this.list = list;
    this.prefix = prefix;
    this.suffix = suffix;
    const n = list.length;
    this.listAt = align(this.idsEnd);
    this.rowsAt = this.listAt + 8 * n;
    this.prefixAt = this.rowsAt + 4 * n;
    this.suffixAt = this.prefixAt + prefix.length;
    this.bytes = this.reserve(this.suffixAt + suffix.length);
    const buffer = this.bytes.buffer;
    new Float64Array(buffer, this.listAt, n).set(list.scores);
    new Uint32Array(buffer, this.rowsAt, n).set(list.rows);
    this.bytes.set(prefix, this.prefixAt);
    this.bytes.set(suffix, this.suffixAt);
  }

  /** The memory, grown to at least `end` bytes. */
  private reserve(end: number): Uint8Array {
    growMemory(this.wasm.memory, end);
    return new Uint8Array(this.wasm.memory.buffer);
  }
}

function align(at: number): number {
  return Math.ceil(at / 8) * 8;
}

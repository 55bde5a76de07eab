import { WASM_PAGE, webAssembly, type WasmMemory, type WasmModule } from '../core/wasm-module.js';
import { RUN_LINES_WASM } from './generated/run-lines-wasm.js';
import type { RankedList } from './ranked-list.js';

export interface RunLinesExports {
  memory: WasmMemory;
  heap_base(): number;
  format_lines(
    ids: number,
    starts: number,
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

/** A fresh instance of wasm/run-lines.c (the module is compiled once). */
export function runLinesInstance(): RunLinesExports {
  compiled ??= new webAssembly.Module(Buffer.from(RUN_LINES_WASM, 'base64'));
  return new webAssembly.Instance(compiled, {}).exports as unknown as RunLinesExports;
}

/** Bytes of each output room: a flush of the lines formatted into it costs one copy. */
const ROOM = 1 << 16;

/**
 * A run's run.trec lines and score.json entries formatted in WebAssembly (wasm/run-lines.c): the same bytes as
 * TrecLineWriter.line and ScoreJsonWriter.document with ScoreText, for lines whose id is printable ASCII without
 * `"` and `\` and whose score is zero or a plain decimal. The caller writes the other lines itself, one at a time.
 *
 * A list's id table is copied into the module's memory once (all lists of a retriever's run share one, its corpus
 * ids).
 */
export class RunLines {
  private readonly wasm: RunLinesExports;
  private bytes: Uint8Array;
  private readonly trecAt: number;
  private readonly jsonAt: number;
  private readonly idsAt: number;
  /** The id table in memory (undefined: none yet). */
  private table: readonly string[] | undefined;
  private startsAt = 0;
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
    this.idsAt = this.jsonAt + ROOM;
    this.bytes = this.reserve(this.idsAt);
  }

  /**
   * Formats `list`'s positions from `from` on, as many as it can: it stops before a line it leaves to the caller,
   * or when its room is full. `prefix` is the query's `qid Q0 ` and `suffix` ` tag\n`, as UTF-8. Returns the next
   * position; `trec` and `json` then hold the text of positions from .. next - 1.
   */
  format(list: RankedList, from: number, prefix: Uint8Array, suffix: Uint8Array): number {
    if (list.ids !== this.table) this.encodeTable(list.ids);
    if (list !== this.list || prefix !== this.prefix || suffix !== this.suffix) this.place(list, prefix, suffix);
    const { wasm } = this;
    const next = wasm.format_lines(
      this.idsAt,
      this.startsAt,
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
   * Writes the ids one byte per UTF-16 unit, 0xff for a unit above ASCII (which makes the module leave its lines
   * to the caller), and where each starts. A loop here costs a fraction of ids.join() and of encoding the result.
   */
  private encodeTable(ids: readonly string[]): void {
    this.table = ids;
    this.list = undefined;
    let units = 0;
    for (let row = 0; row < ids.length; row++) units += ids[row]!.length;
    this.startsAt = align(this.idsAt + units);
    this.listAt = align(this.startsAt + 4 * (ids.length + 1));
    this.bytes = this.reserve(this.listAt);
    const bytes = this.bytes;
    const starts = new Uint32Array(bytes.buffer, this.startsAt, ids.length + 1);
    let at = this.idsAt;
    for (let row = 0; row < ids.length; row++) {
      const id = ids[row]!;
      starts[row] = at - this.idsAt;
      for (let i = 0; i < id.length; i++) {
        const unit = id.charCodeAt(i);
        bytes[at++] = unit < 0x80 ? unit : 0xff;
      }
    }
    starts[ids.length] = at - this.idsAt;
  }

  /** Copies the list's scores and rows, the prefix and the suffix into memory after the id table. */
  private place(list: RankedList, prefix: Uint8Array, suffix: Uint8Array): void {
    this.list = list;
    this.prefix = prefix;
    this.suffix = suffix;
    const n = list.length;
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
    const { memory } = this.wasm;
    const have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / WASM_PAGE));
    return new Uint8Array(memory.buffer);
  }
}

function align(at: number): number {
  return Math.ceil(at / 8) * 8;
}

import { isUtf8 } from 'node:buffer';
import { dataError } from '../core/errors.js';
import { PrefaultAhead } from '../core/prefault.js';
import { IdProbe, RunTable } from './run-table.js';
import { parseScore } from './text-file.js';

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const NEWLINE = 0x0a;

/**
 * Reads a TREC run (`qid Q0 docid rank score tag` per line) into a RunTable, block by block of whole lines, without
 * a string or an object per line: fields are found in the bytes, document ids copied into one pool and hashed,
 * scores read from the bytes. Separators are space, tab and CR (as in trec_eval); blank lines are skipped. Errors
 * (column count, score, a document twice for one query) name the first offending line, as a line-by-line reader
 * would. `exactScores` also keeps each score's double (RunTable.toRun needs it; scoring needs only the float32).
 */
export class TrecRunParser {
  private columns: Columns;
  private pool: Buffer;
  private poolLength = 0;
  private readonly queryIndex = new Map<string, number>();
  private readonly queryIds: string[] = [];
  /** Rows [runStarts[k], runStarts[k + 1]) belong to query runQueries[k]: a new entry whenever the query changes. */
  private readonly runStarts = new Uint32List();
  private readonly runQueries = new Uint32List();
  /** For each blank line, the number of rows read before it: the line number of a row follows (lineOf). */
  private readonly blanks = new Uint32List();
  private rows = 0;
  private lineNumber = 0;
  /** The previous line's query and a copy of its bytes, so consecutive lines of one query decode no id. */
  private lastQuery = -1;
  private lastQueryBytes = Buffer.alloc(64);
  private lastQueryLength = 0;
  private grouped = true;
  private readonly starts = [0, 0, 0, 0, 0, 0, 0];
  private readonly ends = [0, 0, 0, 0, 0, 0, 0];
  /** The pool's pages written ahead of the parse by the thread pool (null once the pool has grown). */
  private poolPages: PrefaultAhead | null;
  /** The same for each column, with its bytes per row (none once the columns have grown). */
  private columnPages: { pages: PrefaultAhead; bytesPerRow: number }[];

  /** `sizeHint`: the input's size in bytes, if known (sizes the columns; untouched capacity costs nothing). */
  constructor(
    private readonly source: string,
    private readonly exactScores: boolean,
    sizeHint = 0,
  ) {
    this.columns = new Columns(Math.max(64, Math.ceil(sizeHint / 40)), exactScores);
    this.pool = Buffer.allocUnsafe(Math.max(4096, Math.ceil(sizeHint / 2)));
    this.poolPages = new PrefaultAhead(this.pool, OWN_BYTES, PREFAULT_AHEAD);
    this.columnPages = this.columns.all().map((column) => ({ pages: new PrefaultAhead(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), OWN_BYTES, PREFAULT_AHEAD), bytesPerRow: column.BYTES_PER_ELEMENT }));
  }

  /**
   * Undefined when push may take `bytes` more input now, else a promise to await first. The pool's threads write the
   * pages of the id pool and of the columns ahead of the parse (the first touch of a fresh page cost ~6-15 us on the
   * machines measured: ~5.5k of them on a 433k-line run, ~50 ms of this thread), and push must not write where such a
   * write is still running. A block of `bytes` adds at most `bytes` to the pool and bytes / MIN_LINE rows.
   */
  ready(bytes: number): Promise<unknown> | undefined {
    const rows = this.rows + Math.ceil(bytes / MIN_LINE) + 2;
    const waits: Promise<void>[] = [];
    const pool = this.poolPages?.ready(this.poolLength + bytes);
    if (pool) waits.push(pool);
    for (const { pages, bytesPerRow } of this.columnPages) {
      const column = pages.ready(rows * bytesPerRow);
      if (column) waits.push(column);
    }
    return waits.length > 0 ? Promise.all(waits) : undefined;
  }

  /**
   * Parses a block of whole lines (only the input's last line may lack its newline); valid only during the call.
   * The parser's state is stored at every line, never only after the loop: a store first reached when the loop
   * ends made the loop's optimised code (compiled while the first block ran) deoptimise at the end of every block.
   */
  push(input: Buffer): void {
    // ids are compared and hashed as bytes; text that is not UTF-8 is taken as what it decodes to, as a string reader would
    const bytes = isUtf8(input) ? input : Buffer.from(input.toString('utf8'), 'utf8');
    const { starts, ends, exactScores } = this;
    const n = bytes.length;
    let { columns, pool, poolLength, rows, lineNumber } = this;
    let { idEnd, idHash, score: scoreColumn, exact: exactColumn } = columns;
    let pos = 0;
    while (pos < n) {
      lineNumber++;
      let fields = 0;
      let p = pos;
      for (;;) {
        let c = bytes[p];
        while (p < n && (c === SPACE || c === TAB || c === CR)) c = bytes[++p];
        if (p >= n || c === NEWLINE) break;
        if (fields < 7) starts[fields] = p;
        // every byte above space is a field's (one compare for nearly all bytes), below it only the separators end one
        while (p < n && (c! > SPACE || (c !== TAB && c !== CR && c !== NEWLINE && c !== SPACE))) c = bytes[++p];
        if (fields < 7) ends[fields] = p;
        fields++;
      }
      pos = p + 1;
      if (fields === 0) {
        this.blanks.push(rows);
        this.lineNumber = lineNumber;
        continue;
      }
      if (fields !== 6) throw this.lineError(rows, columnCountError(this.source, lineNumber, fields));
      // the score: a plain decimal ([-]digits[.digits]) is read here, as mantissa / 10^decimals (one rounding);
      // every other spelling, and the cases that rounding cannot settle, through parseScore
      const scoreStart = starts[4]!;
      const scoreEnd = ends[4]!;
      let i = scoreStart;
      const negative = bytes[i] === 0x2d;
      if (negative) i++;
      let mantissa = 0;
      let digits = 0;
      let decimals = -1;
      for (; i < scoreEnd; i++) {
        const c = bytes[i]!;
        if (c >= 0x30 && c <= 0x39) {
          mantissa = mantissa * 10 + (c - 0x30);
          digits++;
          if (decimals >= 0) decimals++;
        } else if (c === 0x2e && decimals < 0) decimals = 0;
        else break;
      }
      let score: number;
      let exact = 0;
      const plain = i === scoreEnd && digits > 0 && decimals <= 22;
      // used only when plain (10^0 = 1: mantissa itself). No NaN for the other case and no call taking it: either
      // made V8 box this double, one heap number per line (~7 MB of scavenged garbage on a 433k-line run)
      const magnitude = mantissa / POWERS_OF_TEN[plain && decimals > 0 ? decimals : 0]!;
      // whether a normal float32-range value's 29 bits below float32 precision are far from a half (see below)
      let farFromFloat32Midpoint = false;
      if (plain && digits > 15 && digits <= 19 && magnitude >= 1.1754943508222875e-38 && magnitude < 3.4028234663852886e38) {
        doubleBits[0] = magnitude;
        farFromFloat32Midpoint = Math.abs((doubleWords[LOW_WORD]! & 0x1fffffff) - FLOAT32_MIDPOINT) > 64;
      }
      if (exactScores) {
        // exact up to 15 digits (Clinger's fast path: an exact integer over an exact power of ten)
        exact = plain && digits <= 15 ? (negative ? -magnitude : magnitude) : slowScore(bytes, scoreStart, scoreEnd);
        score = Math.fround(exact);
      } else if (plain && (digits <= 15 || farFromFloat32Midpoint)) {
        // up to 19 digits (the shortest form of a float32 score has 16 or 17) to within a few double ulps, which
        // rounds to the same float32 as the exact double unless it lies within 64 ulps of a midpoint between two
        // floats (a chance of 2^-22)
        score = Math.fround(negative ? -magnitude : magnitude);
      } else score = Math.fround(slowScore(bytes, scoreStart, scoreEnd));
      if (Number.isNaN(score)) throw this.lineError(rows, scoreError(bytes, this.source, lineNumber, scoreStart, scoreEnd));
      this.queryOf(bytes, starts[0]!, ends[0]!, rows);
      if (rows === columns.capacity) {
        // fresh arrays: not written ahead (fills may still run on the old ones, past what grown() reads as rows)
        this.columnPages = [];
        this.columns = columns = columns.grown();
        ({ idEnd, idHash, score: scoreColumn, exact: exactColumn } = columns);
      }
      const from = starts[2]!;
      const to = ends[2]!;
      if (poolLength + (to - from) > pool.length) {
        const grown = Buffer.allocUnsafe(Math.max(2 * pool.length, poolLength + (to - from)));
        pool.copy(grown, 0, 0, poolLength);
        this.pool = pool = grown;
        this.poolPages = null;
      }
      // copy and hash (FNV-1a, as hashBytes) in one pass
      let hash = 0x811c9dc5 | 0;
      for (let k = from; k < to; k++) {
        const byte = bytes[k]!;
        pool[poolLength++] = byte;
        hash = Math.imul(hash ^ byte, 0x01000193);
      }
      idEnd[rows + 1] = poolLength;
      idHash[rows] = hash;
      scoreColumn[rows] = score;
      if (exactColumn) exactColumn[rows] = exact;
      rows++;
      this.rows = rows;
      this.poolLength = poolLength;
      this.lineNumber = lineNumber;
    }
  }

  /** The run read so far, checked for repeated documents. */
  end(): RunTable {
    const partial = this.partial(this.rows);
    const duplicate = firstDuplicate(partial, this.source);
    if (duplicate) throw duplicate;
    return partial.table;
  }

  /** Notes the query of row `row` (a new run of rows when it differs from the previous row's). */
  private queryOf(bytes: Buffer, start: number, end: number, row: number): void {
    const length = end - start;
    if (this.lastQuery !== -1 && length === this.lastQueryLength) {
      const last = this.lastQueryBytes;
      let i = 0;
      while (i < length && bytes[start + i] === last[i]) i++;
      if (i === length) return;
    }
    this.newQueryRun(bytes, start, end, row);
  }

  private newQueryRun(bytes: Buffer, start: number, end: number, row: number): void {
    const queryId = bytes.toString('utf8', start, end);
    let query = this.queryIndex.get(queryId);
    if (query === undefined) {
      query = this.queryIds.length;
      this.queryIndex.set(queryId, query);
      this.queryIds.push(queryId);
    } else this.grouped = false;
    const length = end - start;
    if (length > this.lastQueryBytes.length) this.lastQueryBytes = Buffer.alloc(2 * length);
    bytes.copy(this.lastQueryBytes, 0, start, end);
    this.lastQueryLength = length;
    this.lastQuery = query;
    this.runStarts.push(row);
    this.runQueries.push(query);
  }

  private partial(rows: number): Partial {
    const lineOf = (row: number) => row + 1 + countAtMost(this.blanks, row);
    return new Partial(this.pool.subarray(0, this.poolLength), this.queryIds, this.columns, rows, this.grouped, this.runStarts, this.runQueries, lineOf);
  }

  /** A document repeated on an earlier line is the first error there is; else `error`. */
  private lineError(rows: number, error: Error): Error {
    return firstDuplicate(this.partial(rows), this.source) ?? error;
  }
}

/** A growable list of unsigned 32-bit integers. */
class Uint32List {
  array = new Uint32Array(16);
  length = 0;

  push(value: number): void {
    if (this.length === this.array.length) {
      const grown = new Uint32Array(2 * this.length);
      grown.set(this.array);
      this.array = grown;
    }
    this.array[this.length++] = value;
  }
}

/** How many values of an ascending list are <= value. */
function countAtMost(list: Uint32List, value: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list.array[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A score as parseScore reads it (every spelling trec_eval and Python accept), NaN when it is no number. */
function slowScore(bytes: Buffer, start: number, end: number): number {
  return parseScore(bytes.toString('utf8', start, end)) ?? NaN;
}

/** The shortest line a row can come from: six one-byte fields, five separators (the last line needs no newline). */
const MIN_LINE = 11;
/** The first bytes of the pool and of each column are faulted by the parse itself, while the first fills run. */
const OWN_BYTES = 1 << 18;
/** How far past what the next block may write the thread pool's fills are issued. */
const PREFAULT_AHEAD = 1 << 19;

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
const doubleBits = new Float64Array(1);
const doubleWords = new Uint32Array(doubleBits.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const FLOAT32_MIDPOINT = 1 << 28;

/**
 * Growable per-line columns of the parse. Ids lie one after another in the pool, so row r's id is
 * [idEnd[r], idEnd[r + 1]) (idEnd[0] = 0); which query a row belongs to and its line number are kept per run of
 * rows and per blank line instead (TrecRunParser): fresh memory is dear (first-touch page faults), and the common
 * run file needs neither per row.
 */
class Columns {
  readonly idEnd: Uint32Array;
  readonly idHash: Int32Array;
  readonly score: Float32Array;
  readonly exact: Float64Array | null;

  constructor(
    readonly capacity: number,
    exact: boolean,
  ) {
    this.idEnd = new Uint32Array(capacity + 1);
    this.idHash = new Int32Array(capacity);
    this.score = new Float32Array(capacity);
    this.exact = exact ? new Float64Array(capacity) : null;
  }

  all(): (Uint32Array | Int32Array | Float32Array | Float64Array)[] {
    return this.exact ? [this.idEnd, this.idHash, this.score, this.exact] : [this.idEnd, this.idHash, this.score];
  }

  grown(): Columns {
    const next = new Columns(this.capacity * 2, this.exact !== null);
    next.idEnd.set(this.idEnd);
    next.idHash.set(this.idHash);
    next.score.set(this.score);
    next.exact?.set(this.exact!);
    return next;
  }
}

/** The first `rows` parsed lines grouped by query (a stable reorder when a query's lines are not consecutive). */
class Partial {
  readonly table: RunTable;
  /** The parsed row (line order, blank lines left out) of each row of the table; null when they are the same. */
  private readonly origin: Uint32Array | null;

  constructor(
    pool: Buffer,
    queryIds: readonly string[],
    columns: Columns,
    rows: number,
    grouped: boolean,
    runStarts: Uint32List,
    runQueries: Uint32List,
    private readonly lineOfRow: (row: number) => number,
  ) {
    const queries = queryIds.length;
    const queryStarts = new Uint32Array(queries + 1);
    const runs = runStarts.length;
    const runEnd = (k: number) => (k + 1 < runs ? runStarts.array[k + 1]! : rows);
    for (let k = 0; k < runs; k++) {
      const q = runQueries.array[k]! + 1;
      queryStarts[q] = queryStarts[q]! + runEnd(k) - runStarts.array[k]!;
    }
    for (let q = 0; q < queries; q++) queryStarts[q + 1] = queryStarts[q + 1]! + queryStarts[q]!;
    const exact = columns.exact;
    const ends = columns.idEnd;
    if (grouped) {
      this.origin = null;
      this.table = new RunTable(pool, queryIds, queryStarts, ends.subarray(0, rows), ends.subarray(1, rows + 1), columns.idHash.subarray(0, rows), columns.score.subarray(0, rows), exact?.subarray(0, rows) ?? null);
      return;
    }
    const next = queryStarts.slice(0, queries);
    const origin = new Uint32Array(rows);
    const idStarts = new Uint32Array(rows);
    const idEnds = new Uint32Array(rows);
    const idHashes = new Int32Array(rows);
    const scores = new Float32Array(rows);
    const exactScores = exact ? new Float64Array(rows) : null;
    for (let k = 0; k < runs; k++) {
      const q = runQueries.array[k]!;
      for (let row = runStarts.array[k]!, last = runEnd(k); row < last; row++) {
        const to = next[q]!;
        next[q] = to + 1;
        origin[to] = row;
        idStarts[to] = ends[row]!;
        idEnds[to] = ends[row + 1]!;
        idHashes[to] = columns.idHash[row]!;
        scores[to] = columns.score[row]!;
        if (exactScores) exactScores[to] = exact![row]!;
      }
    }
    this.origin = origin;
    this.table = new RunTable(pool, queryIds, queryStarts, idStarts, idEnds, idHashes, scores, exactScores);
  }

  /** The line number of a row of the table. */
  lineOf(row: number): number {
    return this.lineOfRow(this.origin ? this.origin[row]! : row);
  }
}

/** The error for the earliest line that repeats a document of its query, if any (trec_eval refuses such runs). */
function firstDuplicate(partial: Partial, source: string): Error | undefined {
  const { table } = partial;
  const probe = new IdProbe(table);
  let first = -1;
  let firstQuery = -1;
  for (let q = 0; q < table.queryIds.length; q++) {
    const row = probe.fill(table.queryStarts[q]!, table.queryStarts[q + 1]!);
    if (row !== -1 && (first === -1 || partial.lineOf(row) < partial.lineOf(first))) {
      first = row;
      firstQuery = q;
    }
  }
  if (first === -1) return undefined;
  return dataError('run_duplicate_doc', `${source}:${partial.lineOf(first)}: document "${table.docId(first)}" appears twice for query "${table.queryIds[firstQuery]}" (trec_eval refuses duplicate documents)`);
}

function scoreError(bytes: Buffer, source: string, lineNumber: number, start: number, end: number): Error {
  return dataError('run_malformed', `${source}:${lineNumber}: the score column (5th) must be a number, found "${bytes.toString('utf8', start, end)}"`);
}

function columnCountError(source: string, lineNumber: number, count: number): Error {
  return dataError(
    'run_malformed',
    `${source}:${lineNumber}: expected 6 whitespace-separated columns "qid Q0 docid rank score tag", found ${count > 6 ? 'more than 6' : count}`,
  );
}

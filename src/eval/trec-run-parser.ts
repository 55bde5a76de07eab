import { isUtf8 } from 'node:buffer';
import { dataError } from '../core/errors.js';
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
  private rows = 0;
  private lineNumber = 0;
  /** The previous line's query and a copy of its bytes, so consecutive lines of one query decode no id. */
  private lastQuery = -1;
  private lastQueryBytes = Buffer.alloc(64);
  private lastQueryLength = 0;
  private grouped = true;
  private readonly starts = [0, 0, 0, 0, 0, 0, 0];
  private readonly ends = [0, 0, 0, 0, 0, 0, 0];

  /** `sizeHint`: the input's size in bytes, if known (sizes the columns; untouched capacity costs nothing). */
  constructor(
    private readonly source: string,
    private readonly exactScores: boolean,
    sizeHint = 0,
  ) {
    this.columns = new Columns(Math.max(64, Math.ceil(sizeHint / 40)), exactScores);
    this.pool = Buffer.allocUnsafe(Math.max(4096, Math.ceil(sizeHint / 2)));
  }

  /** Parses a block of whole lines (only the input's last line may lack its newline); valid only during the call. */
  push(input: Buffer): void {
    // ids are compared and hashed as bytes; text that is not UTF-8 is taken as what it decodes to, as a string reader would
    const bytes = isUtf8(input) ? input : Buffer.from(input.toString('utf8'), 'utf8');
    const { starts, ends, exactScores } = this;
    const n = bytes.length;
    let { columns, pool, poolLength, rows, lineNumber } = this;
    let { query: queryColumn, line: lineColumn, idStart, idEnd, idHash, score: scoreColumn, exact: exactColumn } = columns;
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
        while (p < n && c !== SPACE && c !== TAB && c !== CR && c !== NEWLINE) c = bytes[++p];
        if (fields < 7) ends[fields] = p;
        fields++;
      }
      pos = p + 1;
      if (fields === 0) continue;
      if (fields !== 6) throw this.lineError(rows, columnCountError(this.source, lineNumber, fields));
      let score: number;
      let exact = 0;
      if (exactScores) {
        exact = readScoreExact(bytes, starts[4]!, ends[4]!);
        score = Math.fround(exact);
      } else score = readScore32(bytes, starts[4]!, ends[4]!);
      if (Number.isNaN(score)) throw this.lineError(rows, scoreError(bytes, this.source, lineNumber, starts[4]!, ends[4]!));
      const query = this.queryOf(bytes, starts[0]!, ends[0]!);
      if (rows === columns.capacity) {
        this.columns = columns = columns.grown();
        ({ query: queryColumn, line: lineColumn, idStart, idEnd, idHash, score: scoreColumn, exact: exactColumn } = columns);
      }
      const from = starts[2]!;
      const to = ends[2]!;
      if (poolLength + (to - from) > pool.length) {
        const grown = Buffer.allocUnsafe(Math.max(2 * pool.length, poolLength + (to - from)));
        pool.copy(grown, 0, 0, poolLength);
        this.pool = pool = grown;
      }
      // copy and hash (FNV-1a, as hashBytes) in one pass
      let hash = 0x811c9dc5 | 0;
      idStart[rows] = poolLength;
      for (let i = from; i < to; i++) {
        const byte = bytes[i]!;
        pool[poolLength++] = byte;
        hash = Math.imul(hash ^ byte, 0x01000193);
      }
      idEnd[rows] = poolLength;
      idHash[rows] = hash;
      queryColumn[rows] = query;
      lineColumn[rows] = lineNumber;
      scoreColumn[rows] = score;
      if (exactColumn) exactColumn[rows] = exact;
      rows++;
      this.rows = rows;
      this.poolLength = poolLength;
    }
    this.lineNumber = lineNumber;
  }

  /** The run read so far, checked for repeated documents. */
  end(): RunTable {
    const partial = this.partial(this.rows, this.grouped);
    const duplicate = firstDuplicate(partial, this.source);
    if (duplicate) throw duplicate;
    return partial.table;
  }

  private queryOf(bytes: Buffer, start: number, end: number): number {
    const length = end - start;
    const last = this.lastQueryBytes;
    if (this.lastQuery !== -1 && length === this.lastQueryLength) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (bytes[start + i] !== last[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastQuery;
    }
    const queryId = bytes.toString('utf8', start, end);
    let query = this.queryIndex.get(queryId);
    if (query === undefined) {
      query = this.queryIds.length;
      this.queryIndex.set(queryId, query);
      this.queryIds.push(queryId);
    } else if (query !== this.lastQuery) this.grouped = false;
    if (length > last.length) this.lastQueryBytes = Buffer.alloc(2 * length);
    bytes.copy(this.lastQueryBytes, 0, start, end);
    this.lastQueryLength = length;
    this.lastQuery = query;
    return query;
  }

  private partial(rows: number, grouped: boolean): Partial {
    return new Partial(this.pool.subarray(0, this.poolLength), this.queryIds, this.columns, rows, grouped);
  }

  /** A document repeated on an earlier line is the first error there is; else `error`. */
  private lineError(rows: number, error: Error): Error {
    return firstDuplicate(this.partial(rows, false), this.source) ?? error;
  }
}

/** Digit count of the decimal that plainDecimal read last (a second result without an object per score). */
let plainDigits = 0;

/**
 * A plain decimal ([-]digits[.digits], at most maxDigits digits) read from the bytes as mantissa / 10^decimals, one
 * rounding; NaN for every other spelling.
 */
function plainDecimal(bytes: Buffer, start: number, end: number, maxDigits: number): number {
  let i = start;
  const negative = bytes[i] === 0x2d;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 0x2e && decimals < 0) decimals = 0;
    else break;
  }
  if (i !== end || digits === 0 || digits > maxDigits || decimals > 22) return NaN;
  plainDigits = digits;
  const magnitude = decimals > 0 ? mantissa / POWERS_OF_TEN[decimals]! : mantissa;
  return negative ? -magnitude : magnitude;
}

/** A score as parseScore reads it, NaN when it is no number; plain decimals of up to 15 digits are read from the bytes. */
function readScoreExact(bytes: Buffer, start: number, end: number): number {
  const value = plainDecimal(bytes, start, end, 15);
  return Number.isNaN(value) ? (parseScore(bytes.toString('utf8', start, end)) ?? NaN) : value;
}

/**
 * The score as trec_eval keeps it, a C float (float32) of the parsed double; NaN when it is no number (parseScore).
 * A plain decimal is read from the bytes: with up to 15 digits exactly (Clinger's fast path: an exact integer over
 * an exact power of ten, one rounding); with up to 19 (the shortest form of a float32 score has 16 or 17) to within
 * a few double ulps, which rounds to the same float32 as the exact double unless it lies within 64 ulps of a
 * midpoint between two floats (a chance of 2^-22). Those, and every other spelling, go through parseScore.
 */
function readScore32(bytes: Buffer, start: number, end: number): number {
  const plain = plainDecimal(bytes, start, end, 19);
  if (!Number.isNaN(plain) && (plainDigits <= 15 || farFromFloat32Midpoint(Math.abs(plain)))) return Math.fround(plain);
  const value = parseScore(bytes.toString('utf8', start, end));
  return value === undefined ? NaN : Math.fround(value);
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
const doubleBits = new Float64Array(1);
const doubleWords = new Uint32Array(doubleBits.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const FLOAT32_MIDPOINT = 1 << 28;

/** Whether x (>= 0) is a normal float32-range double whose 29 bits below float32 precision are far from a half. */
function farFromFloat32Midpoint(x: number): boolean {
  if (!(x >= 1.1754943508222875e-38 && x < 3.4028234663852886e38)) return false;
  doubleBits[0] = x;
  return Math.abs((doubleWords[LOW_WORD]! & 0x1fffffff) - FLOAT32_MIDPOINT) > 64;
}

/** Growable per-line columns of the parse. */
class Columns {
  readonly query: Uint32Array;
  readonly line: Uint32Array;
  readonly idStart: Uint32Array;
  readonly idEnd: Uint32Array;
  readonly idHash: Int32Array;
  readonly score: Float32Array;
  readonly exact: Float64Array | null;

  constructor(
    readonly capacity: number,
    exact: boolean,
  ) {
    this.query = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
    this.idStart = new Uint32Array(capacity);
    this.idEnd = new Uint32Array(capacity);
    this.idHash = new Int32Array(capacity);
    this.score = new Float32Array(capacity);
    this.exact = exact ? new Float64Array(capacity) : null;
  }

  grown(): Columns {
    const next = new Columns(this.capacity * 2, this.exact !== null);
    next.query.set(this.query);
    next.line.set(this.line);
    next.idStart.set(this.idStart);
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
  /** Line number of each row of the table. */
  readonly lines: Uint32Array;

  constructor(pool: Buffer, queryIds: readonly string[], columns: Columns, rows: number, grouped: boolean) {
    const queries = queryIds.length;
    const queryStarts = new Uint32Array(queries + 1);
    for (let row = 0; row < rows; row++) {
      const q = columns.query[row]! + 1;
      queryStarts[q] = queryStarts[q]! + 1;
    }
    for (let q = 0; q < queries; q++) queryStarts[q + 1] = queryStarts[q + 1]! + queryStarts[q]!;
    const exact = columns.exact;
    if (grouped) {
      this.lines = columns.line.subarray(0, rows);
      this.table = new RunTable(pool, queryIds, queryStarts, columns.idStart.subarray(0, rows), columns.idEnd.subarray(0, rows), columns.idHash.subarray(0, rows), columns.score.subarray(0, rows), exact?.subarray(0, rows) ?? null);
      return;
    }
    const next = queryStarts.slice(0, queries);
    const lines = new Uint32Array(rows);
    const idStarts = new Uint32Array(rows);
    const idEnds = new Uint32Array(rows);
    const idHashes = new Int32Array(rows);
    const scores = new Float32Array(rows);
    const exactScores = exact ? new Float64Array(rows) : null;
    for (let row = 0; row < rows; row++) {
      const q = columns.query[row]!;
      const to = next[q]!;
      next[q] = to + 1;
      lines[to] = columns.line[row]!;
      idStarts[to] = columns.idStart[row]!;
      idEnds[to] = columns.idEnd[row]!;
      idHashes[to] = columns.idHash[row]!;
      scores[to] = columns.score[row]!;
      if (exactScores) exactScores[to] = exact![row]!;
    }
    this.lines = lines;
    this.table = new RunTable(pool, queryIds, queryStarts, idStarts, idEnds, idHashes, scores, exactScores);
  }
}

/** The error for the earliest line that repeats a document of its query, if any (trec_eval refuses such runs). */
function firstDuplicate({ table, lines }: Partial, source: string): Error | undefined {
  const probe = new IdProbe(table);
  let first = -1;
  let firstQuery = -1;
  for (let q = 0; q < table.queryIds.length; q++) {
    const row = probe.fill(table.queryStarts[q]!, table.queryStarts[q + 1]!);
    if (row !== -1 && (first === -1 || lines[row]! < lines[first]!)) {
      first = row;
      firstQuery = q;
    }
  }
  if (first === -1) return undefined;
  return dataError('run_duplicate_doc', `${source}:${lines[first]}: document "${table.docId(first)}" appears twice for query "${table.queryIds[firstQuery]}" (trec_eval refuses duplicate documents)`);
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

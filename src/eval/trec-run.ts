import { isUtf8 } from 'node:buffer';
import type { Run } from '../core/types.js';
import { dataError, usageError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { ByteText } from './byte-text.js';
import { hashBytes, IdProbe, RunTable } from './run-table.js';
import { checkTrecToken, parseScore } from './text-file.js';

/**
 * Parses a TREC run (`qid Q0 docid rank score tag` per line). Queries keep the order of their first line (the
 * order pytrec_eval and BRIGHT average in) and documents their line order; the Q0, rank and tag columns are
 * ignored, as trec_eval ignores them. `source` names the file in errors. Text given as pieces (readTextPieces) is
 * parsed as their concatenation.
 */
export function parseTrecRun(text: string | readonly string[], source: string): Run {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.concat(text.map((piece) => Buffer.from(piece, 'utf8')));
  return parseTrecRunTable(bytes, source).toRun();
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const NEWLINE = 0x0a;

/**
 * parseTrecRun straight from the file's bytes into a RunTable: fields are found and scores read without making a
 * string per line. Separators are space, tab and CR (as in trec_eval); blank lines are skipped. Errors (column
 * count, score, a document twice for one query) name the first offending line, as a line-by-line reader would.
 */
export function parseTrecRunTable(input: Buffer, source: string): RunTable {
  // ids are compared and hashed as bytes; text that is not UTF-8 is taken as what it decodes to, as a string reader would
  const bytes = isUtf8(input) ? input : Buffer.from(input.toString('utf8'), 'utf8');
  const n = bytes.length;
  let columns = new Columns(Math.max(64, Math.ceil(n / 40)));
  const queryIndex = new Map<string, number>();
  const queryIds: string[] = [];
  let rows = 0;
  let lineNumber = 0;
  let pos = 0;
  // the previous line's query, compared as bytes so consecutive lines of one query decode no id
  let lastQuery = -1;
  let lastQueryStart = 0;
  let lastQueryEnd = 0;
  let grouped = true;
  const starts = [0, 0, 0, 0, 0, 0, 0];
  const ends = [0, 0, 0, 0, 0, 0, 0];
  let { query: queryColumn, line: lineColumn, idStart, idEnd, idHash, score: scoreColumn } = columns;
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
    if (fields !== 6) throw lineError(new Partial(bytes, queryIds, columns, rows), source, columnCountError(source, lineNumber, fields));
    const score = readScore32(bytes, starts[4]!, ends[4]!);
    if (Number.isNaN(score)) throw lineError(new Partial(bytes, queryIds, columns, rows), source, scoreError(bytes, source, lineNumber, starts[4]!, ends[4]!));
    const queryStart = starts[0]!;
    const queryEnd = ends[0]!;
    let query = lastQuery;
    if (query === -1 || queryEnd - queryStart !== lastQueryEnd - lastQueryStart || !sameBytes(bytes, queryStart, lastQueryStart, queryEnd - queryStart)) {
      const queryId = bytes.toString('utf8', queryStart, queryEnd);
      const known = queryIndex.get(queryId);
      if (known === undefined) {
        query = queryIds.length;
        queryIndex.set(queryId, query);
        queryIds.push(queryId);
      } else {
        query = known;
        if (known !== lastQuery) grouped = false;
      }
      lastQuery = query;
      lastQueryStart = queryStart;
      lastQueryEnd = queryEnd;
    }
    if (rows === columns.capacity) {
      columns = columns.grown();
      ({ query: queryColumn, line: lineColumn, idStart, idEnd, idHash, score: scoreColumn } = columns);
    }
    const idFrom = starts[2]!;
    const idTo = ends[2]!;
    queryColumn[rows] = query;
    lineColumn[rows] = lineNumber;
    idStart[rows] = idFrom;
    idEnd[rows] = idTo;
    idHash[rows] = hashBytes(bytes, idFrom, idTo);
    scoreColumn[rows] = score;
    rows++;
  }
  const partial = new Partial(bytes, queryIds, columns, rows, grouped);
  const duplicate = firstDuplicate(partial, source);
  if (duplicate) throw duplicate;
  return partial.table;
}

/**
 * The score as trec_eval keeps it, a C float (float32) of the parsed double; NaN when it is no number (parseScore).
 * A plain decimal is read from the bytes: with up to 15 digits exactly (Clinger's fast path: an exact integer over
 * an exact power of ten, one rounding); with up to 19 (the shortest form of a float32 score has 16 or 17) to within
 * a few double ulps, which rounds to the same float32 as the exact double unless it lies within 64 ulps of a
 * midpoint between two floats (a chance of 2^-22). Those, and every other spelling, go through parseScore.
 */
function readScore32(bytes: Buffer, start: number, end: number): number {
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
  if (i === end && digits > 0 && digits <= 19 && decimals <= 22) {
    const magnitude = decimals > 0 ? mantissa / POWERS_OF_TEN[decimals]! : mantissa;
    if (digits <= 15 || farFromFloat32Midpoint(magnitude)) return Math.fround(negative ? -magnitude : magnitude);
  }
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

function sameBytes(bytes: Buffer, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/** Growable per-line columns of the parse. */
class Columns {
  readonly query: Uint32Array;
  readonly line: Uint32Array;
  readonly idStart: Uint32Array;
  readonly idEnd: Uint32Array;
  readonly idHash: Int32Array;
  readonly score: Float32Array;

  constructor(readonly capacity: number) {
    this.query = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
    this.idStart = new Uint32Array(capacity);
    this.idEnd = new Uint32Array(capacity);
    this.idHash = new Int32Array(capacity);
    this.score = new Float32Array(capacity);
  }

  grown(): Columns {
    const next = new Columns(this.capacity * 2);
    next.query.set(this.query);
    next.line.set(this.line);
    next.idStart.set(this.idStart);
    next.idEnd.set(this.idEnd);
    next.idHash.set(this.idHash);
    next.score.set(this.score);
    return next;
  }
}

/** The first `rows` parsed lines grouped by query (a stable reorder when a query's lines are not consecutive). */
class Partial {
  readonly table: RunTable;
  /** Line number of each row of the table. */
  readonly lines: Uint32Array;

  constructor(bytes: Buffer, queryIds: readonly string[], columns: Columns, rows: number, grouped = false) {
    const queries = queryIds.length;
    const queryStarts = new Uint32Array(queries + 1);
    for (let row = 0; row < rows; row++) {
      const q = columns.query[row]! + 1;
      queryStarts[q] = queryStarts[q]! + 1;
    }
    for (let q = 0; q < queries; q++) queryStarts[q + 1] = queryStarts[q + 1]! + queryStarts[q]!;
    if (grouped) {
      this.lines = columns.line.subarray(0, rows);
      this.table = new RunTable(bytes, queryIds, queryStarts, columns.idStart.subarray(0, rows), columns.idEnd.subarray(0, rows), columns.idHash.subarray(0, rows), columns.score.subarray(0, rows));
      return;
    }
    const next = queryStarts.slice(0, queries);
    const lines = new Uint32Array(rows);
    const idStarts = new Uint32Array(rows);
    const idEnds = new Uint32Array(rows);
    const idHashes = new Int32Array(rows);
    const scores = new Float32Array(rows);
    for (let row = 0; row < rows; row++) {
      const q = columns.query[row]!;
      const to = next[q]!;
      next[q] = to + 1;
      lines[to] = columns.line[row]!;
      idStarts[to] = columns.idStart[row]!;
      idEnds[to] = columns.idEnd[row]!;
      idHashes[to] = columns.idHash[row]!;
      scores[to] = columns.score[row]!;
    }
    this.lines = lines;
    this.table = new RunTable(bytes, queryIds, queryStarts, idStarts, idEnds, idHashes, scores);
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

/** A document repeated on an earlier line is the first error there is; else `error`. */
function lineError(parsed: Partial, source: string, error: Error): Error {
  return firstDuplicate(parsed, source) ?? error;
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

/**
 * TREC run text: one `qid Q0 docid rank score tag` line per document, queries in map order, documents in array
 * order with ranks 1, 2, ...; scores at full precision (shortest round-trip form), since rounding would create
 * ties that trec_eval breaks by docid.
 */
export function formatTrecRun(run: Run, tag: string): string {
  const out = new ByteText();
  appendTrecRun(out, run, tag);
  return out.end().toString('utf8');
}

export function appendTrecRun(out: ByteText, run: Run, tag: string): void {
  checkRunTag(tag);
  for (const [queryId, docs] of run) {
    checkTrecToken(queryId, 'query id', 'run');
    for (let i = 0; i < docs.length; i++) appendTrecLine(out, queryId, docs[i]!.docId, i + 1, String(docs[i]!.score), tag);
  }
}

export function checkRunTag(tag: string): void {
  if (!/^\S+$/.test(tag)) throw usageError('bad_run_tag', `run tag "${tag}" must be one word without whitespace`);
}

/** One run line; `scoreText` is String(score). The query id and tag must have been checked. */
export function appendTrecLine(out: ByteText, queryId: string, docId: string, rank: number, scoreText: string, tag: string): void {
  out.text(queryId);
  out.text(' Q0 ');
  if (!out.word(docId)) checkTrecToken(docId, 'document id', 'run', queryId);
  out.byte(0x20);
  out.integer(rank);
  out.byte(0x20);
  out.text(scoreText);
  out.byte(0x20);
  out.text(tag);
  out.byte(0x0a);
}

export async function writeTrecRun(filePath: string, run: Run, tag: string): Promise<void> {
  await writeFilesAtomic([filePath], ([sink]) => {
    const out = new ByteText(sink);
    appendTrecRun(out, run, tag);
    out.end();
  });
}

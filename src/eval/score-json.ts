import { dataError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { ByteText } from './byte-text.js';
import { appendJsonEscaped } from './python-json.js';
import { positions, RankedList, type Run } from './ranked-list.js';
import { ScoreText } from './score-text.js';

/**
 * Parses BRIGHT's / ReasonIR's `score.json`: `{qid: {docid: score}}`, documents in rank order. A hand-written
 * scanner rather than JSON.parse, because JS objects move integer-like keys ("12") to the front and the query
 * order decides the summation order of the mean; it also reports the line of a problem. Python's json writes
 * NaN, Infinity and -Infinity for special floats: the infinities are accepted, NaN is not. A file too big for one
 * string comes as pieces (readTextPieces); the scanner keeps a window over them that always holds at least
 * LOOKAHEAD characters past the start of the next token, so no id or number is cut.
 */
export function parseScoreJson(input: string | readonly string[], source: string): Run {
  // every query's documents in one pair of columns; the lists are ranges of them
  const queries: Array<{ queryId: string; start: number }> = [];
  const queryIds = new Set<string>();
  const ids: string[] = [];
  const scores: number[] = [];
  const pieces = typeof input === 'string' ? [input] : input;
  let text = pieces[0] ?? '';
  let nextPiece = 1;
  let pos = 0;
  let linesBefore = 0;
  const refill = (): void => {
    if (nextPiece >= pieces.length || text.length - pos >= LOOKAHEAD) return;
    for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) linesBefore++;
    // one join, not repeated concatenation: a rope of many small pieces would be flattened again and again
    const parts = [text.slice(pos)];
    let length = parts[0]!.length;
    // fill well past the threshold, so the window is rebuilt once per LOOKAHEAD characters read, not per token
    while (nextPiece < pieces.length && length < 4 * LOOKAHEAD) {
      const piece = pieces[nextPiece++]!;
      parts.push(piece);
      length += piece.length;
    }
    text = parts.join('');
    pos = 0;
  };

  const fail = (expected: string): never => {
    let line = 1 + linesBefore;
    for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++;
    const found = pos >= text.length ? 'end of file' : JSON.stringify(text.slice(pos, pos + 20));
    throw dataError('score_json_malformed', `${source}:${line}: expected ${expected} in a score.json of shape {"qid": {"docid": score}}, found ${found}`);
  };
  const skipSpace = (): void => {
    refill();
    for (;;) {
      if (pos >= text.length) {
        if (nextPiece >= pieces.length) break;
        refill();
        continue;
      }
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
  };
  const expect = (char: string, what: string): void => {
    skipSpace();
    if (text[pos] !== char) fail(what);
    pos++;
  };
  const readString = (what: string): string => {
    skipSpace();
    if (text[pos] !== '"') fail(what);
    const start = pos++;
    let escaped = false;
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') {
        escaped = true;
        pos++;
      }
      pos++;
    }
    if (pos >= text.length) fail('a closing quote');
    pos++;
    if (!escaped) return text.slice(start + 1, pos - 1);
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      pos = start;
      return fail(`${what} (a valid JSON string)`);
    }
  };
  const readNumber = (): number => {
    skipSpace();
    const start = pos;
    while (pos < text.length && isNumberChar(text.charCodeAt(pos))) pos++;
    const token = text.slice(start, pos);
    const value = token === 'Infinity' ? Infinity : token === '-Infinity' ? -Infinity : /^-?\d/.test(token) ? Number(token) : NaN;
    if (Number.isNaN(value)) {
      pos = start;
      fail(token === 'NaN' ? 'a score that is a number (NaN cannot be ranked)' : 'a number (the score)');
    }
    return value;
  };
  // After an opening brace: true if the object is empty (and consumes the closing brace).
  const closesAtOnce = (): boolean => {
    skipSpace();
    if (text[pos] !== '}') return false;
    pos++;
    return true;
  };
  const nextOrClose = (what: string): boolean => {
    skipSpace();
    const c = text[pos];
    pos++;
    if (c === ',') return true;
    if (c === '}') return false;
    pos--;
    return fail(`"," or "}" after ${what}`);
  };

  expect('{', '"{" opening the object of queries');
  if (!closesAtOnce()) {
    do {
      const queryId = readString('a query id (string key)');
      if (queryIds.has(queryId)) fail(`each query once, but query "${queryId}" appears again`);
      queryIds.add(queryId);
      expect(':', '":" after the query id');
      expect('{', `"{" opening the documents of query "${queryId}"`);
      queries.push({ queryId, start: ids.length });
      const seen = new Set<string>();
      if (!closesAtOnce()) {
        do {
          const docId = readString('a document id (string key)');
          if (seen.has(docId)) fail(`each document once per query, but "${docId}" repeats in query "${queryId}" (trec_eval refuses duplicates)`);
          seen.add(docId);
          expect(':', '":" after the document id');
          ids.push(docId);
          scores.push(readNumber());
        } while (nextOrClose('a document score'));
      }
    } while (nextOrClose(`the documents of a query`));
  }
  skipSpace();
  if (pos < text.length) fail('end of file after the closing "}"');
  const rows = positions(ids.length);
  const scoreColumn = Float64Array.from(scores);
  const run: Run = new Map();
  queries.forEach(({ queryId, start }, q) => {
    const end = queries[q + 1]?.start ?? ids.length;
    run.set(queryId, new RankedList(ids, rows.subarray(start, end), scoreColumn.subarray(start, end)));
  });
  return run;
}

/** Characters kept ahead of each token: far longer than any id or number in a score.json. */
const LOOKAHEAD = 1 << 20;

/** `{qid: {docid: score}}` exactly as BRIGHT's `json.dump(scores, f, indent=2)` writes it (rank order kept). */
export function formatScoreJson(run: Run): string {
  const writer = new ScoreJsonWriter(new ByteText());
  appendScoreJson(writer, run);
  return writer.end().toString('utf8');
}

function appendScoreJson(writer: ScoreJsonWriter, run: Run): void {
  const score = new ScoreText();
  for (const [queryId, docs] of run) {
    writer.query(queryId);
    for (let i = 0; i < docs.length; i++) {
      score.set(docs.scores[i]!);
      writer.document(docs.docId(i), score);
    }
  }
}

/**
 * Writes a score.json query by query, document by document. BRIGHT's scores are a dict per query, so a document
 * id must not repeat within a query (no reader accepts such a run and no stage makes one).
 */
export class ScoreJsonWriter {
  private queries = 0;
  /** Documents written for the open query; -1 when none is open. */
  private docs = -1;

  constructor(private readonly out: ByteText) {}

  query(queryId: string): void {
    this.closeQuery();
    this.out.text(this.queries++ === 0 ? '{\n  "' : ',\n  "');
    appendJsonEscaped(this.out, queryId);
    this.out.text('": {');
    this.docs = 0;
  }

  document(docId: string, score: ScoreText): void {
    this.documentStart();
    this.documentId(docId);
    this.documentEnd(score);
  }

  /**
   * document() in three steps, for a caller that writes the id itself (the escaped characters between the quotes):
   * documentStart(), then the id or documentId(id), then documentEnd(score).
   */
  documentStart(): void {
    const start = this.docs++ === 0 ? FIRST_DOCUMENT : NEXT_DOCUMENT;
    this.out.bytes(start, start.length);
  }

  /** `count` entries of the open query that the caller formatted itself, as document() writes them. */
  documents(bytes: Uint8Array, count: number): void {
    this.out.bytes(bytes, bytes.length);
    this.docs += count;
  }

  documentId(docId: string): void {
    appendJsonEscaped(this.out, docId);
  }

  documentEnd(score: ScoreText): void {
    this.out.bytes(BEFORE_SCORE, BEFORE_SCORE.length);
    this.out.bytes(score.json, score.jsonLength);
  }

  /** Ends the file: ByteText.end(). */
  end(): Buffer {
    this.closeQuery();
    this.out.text(this.queries === 0 ? '{}' : '\n}');
    return this.out.end();
  }

  private closeQuery(): void {
    if (this.docs >= 0) this.out.text(this.docs === 0 ? '}' : '\n  }');
    this.docs = -1;
  }
}

/** What every document entry repeats, as bytes (a run has ~100k entries). */
const FIRST_DOCUMENT = Buffer.from('\n    "');
const NEXT_DOCUMENT = Buffer.from(',\n    "');
const BEFORE_SCORE = Buffer.from('": ');

export async function writeScoreJson(filePath: string, run: Run): Promise<void> {
  await writeFilesAtomic([filePath], ([sink]) => {
    const writer = new ScoreJsonWriter(new ByteText(sink));
    appendScoreJson(writer, run);
    writer.end();
  });
}

/** Characters of a JSON number or of Python's NaN / Infinity spellings. */
function isNumberChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2b || code === 0x2e || (code >= 0x41 && code <= 0x7a);
}

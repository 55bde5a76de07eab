import { usageError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { ByteText } from './byte-text.js';
import type { Run } from './ranked-list.js';
import type { RunTable } from './run-table.js';
import { ScoreText } from './score-text.js';
import { checkTrecToken } from './text-file.js';
import { TrecRunParser } from './trec-run-parser.js';

/**
 * Parses a TREC run (`qid Q0 docid rank score tag` per line). Queries keep the order of their first line (the
 * order pytrec_eval and BRIGHT average in) and documents their line order; the Q0, rank and tag columns are
 * ignored, as trec_eval ignores them. `source` names the file in errors. Text given as pieces (readTextPieces) is
 * parsed as their concatenation.
 */
export function parseTrecRun(text: string | readonly string[], source: string): Run {
  return parseTrecRunTable(typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.concat(text.map((piece) => Buffer.from(piece, 'utf8'))), source, true).toRun();
}

/** parseTrecRun's run as a RunTable (see TrecRunParser for `exactScores`). */
export function parseTrecRunTable(bytes: Buffer, source: string, exactScores: boolean): RunTable {
  const parser = new TrecRunParser(source, exactScores, bytes.length);
  parser.push(bytes);
  return parser.end();
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
  const lines = new TrecLineWriter(out, tag);
  const score = new ScoreText();
  for (const [queryId, docs] of run) {
    lines.query(queryId);
    for (let i = 0; i < docs.length; i++) {
      score.set(docs.scores[i]!);
      lines.line(docs.docId(i), i + 1, score);
    }
  }
}

export function checkRunTag(tag: string): void {
  if (!/^\S+$/.test(tag)) throw usageError('bad_run_tag', `run tag "${tag}" must be one word without whitespace`);
}

/**
 * Writes run lines query by query. The parts every line of a query repeats (`qid Q0 ` and ` tag\n`) are encoded
 * once: copying their bytes costs less than encoding the same text again on each of a run's ~100k lines.
 */
export class TrecLineWriter {
  private queryId = '';
  private start: Uint8Array = new Uint8Array(0);
  private readonly end: Uint8Array;

  constructor(
    private readonly out: ByteText,
    tag: string,
  ) {
    checkRunTag(tag);
    this.end = Buffer.from(` ${tag}\n`, 'utf8');
  }

  /** `qid Q0 ` of the open query as UTF-8: what each of its lines starts with. */
  get lineStartBytes(): Uint8Array {
    return this.start;
  }

  /** ` tag\n` as UTF-8: what each line ends with. */
  get lineEndBytes(): Uint8Array {
    return this.end;
  }

  /** Lines the caller formatted itself, as line() writes them. */
  lines(bytes: Uint8Array): void {
    this.out.bytes(bytes, bytes.length);
  }

  /** Starts a query: the lines that follow are its. */
  query(queryId: string): void {
    checkTrecToken(queryId, 'query id', 'run');
    this.queryId = queryId;
    this.start = Buffer.from(`${queryId} Q0 `, 'utf8');
  }

  line(docId: string, rank: number, score: ScoreText): void {
    this.lineStart();
    this.docId(docId);
    this.lineEnd(rank, score);
  }

  /** line() in three steps, for a caller that writes the document id itself: the line up to the id. */
  lineStart(): void {
    this.out.bytes(this.start, this.start.length);
  }

  docId(docId: string): void {
    if (!this.out.word(docId)) checkTrecToken(docId, 'document id', 'run', this.queryId);
  }

  /** The line after the document id. */
  lineEnd(rank: number, score: ScoreText): void {
    const { out } = this;
    out.byte(0x20);
    out.integer(rank);
    out.byte(0x20);
    out.bytes(score.trec, score.trecLength);
    out.bytes(this.end, this.end.length);
  }
}

export async function writeTrecRun(filePath: string, run: Run, tag: string): Promise<void> {
  await writeFilesAtomic([filePath], ([sink]) => {
    const out = new ByteText(sink);
    appendTrecRun(out, run, tag);
    out.end();
  });
}

import type { RankedDoc, Run } from '../core/types.js';
import { dataError, usageError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { ByteText } from './byte-text.js';
import { checkTrecToken, forEachFieldLine, parseScore, wholeLines } from './text-file.js';

/**
 * Parses a TREC run (`qid Q0 docid rank score tag` per line). Queries keep the order of their first line (the
 * order pytrec_eval and BRIGHT average in) and documents their line order; the Q0, rank and tag columns are
 * ignored, as trec_eval ignores them. `source` names the file in errors. A file too big for one string comes as
 * pieces that end at line ends (readTextPieces).
 */
export function parseTrecRun(text: string | readonly string[], source: string): Run {
  const builder = new RunBuilder(source);
  let lines = 0;
  for (const piece of wholeLines(text)) lines = parsePiece(piece, source, builder, lines);
  return builder.run;
}

/** Adds one piece's lines to `builder`; returns the line count so far. */
function parsePiece(text: string, source: string, builder: RunBuilder, linesBefore: number): number {
  // Files with single spaces only (what every toolkit writes) take a fast path that splits with indexOf.
  if (text.includes('\t') || text.includes('\r') || text.includes('  ')) {
    return forEachFieldLine(
      text,
      6,
      (fields, lineNumber) => {
        if (fields.length !== 6) throw columnCountError(source, lineNumber, fields.length);
        builder.add(fields[0]!, fields[2]!, fields[4]!, lineNumber);
      },
      linesBefore,
    );
  }
  let lineNumber = linesBefore;
  let start = 0;
  let previousQueryId = '';
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    if (end > start) {
      const s1 = text.indexOf(' ', start);
      const s2 = s1 === -1 ? -1 : text.indexOf(' ', s1 + 1);
      const s3 = s2 === -1 ? -1 : text.indexOf(' ', s2 + 1);
      const s4 = s3 === -1 ? -1 : text.indexOf(' ', s3 + 1);
      const s5 = s4 === -1 ? -1 : text.indexOf(' ', s4 + 1);
      const s6 = s5 === -1 ? -1 : text.indexOf(' ', s5 + 1);
      if (s5 === -1 || s5 >= end - 1 || (s6 !== -1 && s6 < end) || s1 === start) {
        // not six single-space-separated fields: split this line the general way (a stray leading or trailing space)
        let fields: string[] = [];
        forEachFieldLine(text.slice(start, end), 6, (found) => (fields = [...found]));
        if (fields.length !== 6) throw columnCountError(source, lineNumber, fields.length);
        builder.add(fields[0]!, fields[2]!, fields[4]!, lineNumber);
        previousQueryId = '';
        start = end + 1;
        continue;
      }
      // consecutive lines of one query share the qid string (and skip a map lookup)
      const sameQuery = s1 - start === previousQueryId.length && text.startsWith(previousQueryId, start);
      const queryId = sameQuery ? previousQueryId : text.slice(start, s1);
      previousQueryId = queryId;
      builder.add(queryId, text.slice(s2 + 1, s3), text.slice(s4 + 1, s5), lineNumber);
    }
    start = end + 1;
  }
  return lineNumber;
}

function columnCountError(source: string, lineNumber: number, count: number): Error {
  return dataError(
    'run_malformed',
    `${source}:${lineNumber}: expected 6 whitespace-separated columns "qid Q0 docid rank score tag", found ${count > 6 ? 'more than 6' : count}`,
  );
}

/** Collects documents per query, refusing unparsable scores and repeated documents. */
class RunBuilder {
  readonly run: Run = new Map();
  private readonly seen = new Map<string, Set<string>>();
  private currentId: string | undefined;
  private currentDocs: RankedDoc[] = [];
  private currentSeen = new Set<string>();

  constructor(private readonly source: string) {}

  add(queryId: string, docId: string, scoreText: string, lineNumber: number): void {
    const score = parseScore(scoreText);
    if (score === undefined) {
      throw dataError('run_malformed', `${this.source}:${lineNumber}: the score column (5th) must be a number, found "${scoreText}"`);
    }
    if (queryId !== this.currentId) {
      let docs = this.run.get(queryId);
      let docIds = this.seen.get(queryId);
      if (!docs || !docIds) {
        docs = [];
        docIds = new Set();
        this.run.set(queryId, docs);
        this.seen.set(queryId, docIds);
      }
      this.currentId = queryId;
      this.currentDocs = docs;
      this.currentSeen = docIds;
    }
    const before = this.currentSeen.size;
    if (this.currentSeen.add(docId).size === before) {
      throw dataError('run_duplicate_doc', `${this.source}:${lineNumber}: document "${docId}" appears twice for query "${queryId}" (trec_eval refuses duplicate documents)`);
    }
    this.currentDocs.push({ docId, score });
  }
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

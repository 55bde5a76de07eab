import type { RankedDoc, Run } from '../core/types.js';
import { dataError, usageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { checkTrecToken, forEachFieldLine, parseScore } from './text-file.js';

/**
 * Parses a TREC run (`qid Q0 docid rank score tag` per line). Queries keep the order of their first line (the
 * order pytrec_eval and BRIGHT average in) and documents their line order; the Q0, rank and tag columns are
 * ignored, as trec_eval ignores them. `source` names the file in errors.
 */
export function parseTrecRun(text: string, source: string): Run {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  forEachFieldLine(text, 6, (fields, lineNumber) => {
    if (fields.length !== 6) {
      throw dataError(
        'run_malformed',
        `${source}:${lineNumber}: expected 6 whitespace-separated columns "qid Q0 docid rank score tag", found ${fields.length > 6 ? 'more than 6' : fields.length}`,
      );
    }
    const [queryId, , docId, , scoreText] = fields as [string, string, string, string, string, string];
    const score = parseScore(scoreText);
    if (score === undefined) {
      throw dataError('run_malformed', `${source}:${lineNumber}: the score column (5th) must be a number, found "${scoreText}"`);
    }
    let docs = run.get(queryId);
    let docIds = seen.get(queryId);
    if (!docs || !docIds) {
      docs = [];
      docIds = new Set();
      run.set(queryId, docs);
      seen.set(queryId, docIds);
    }
    if (docIds.has(docId)) {
      throw dataError('run_duplicate_doc', `${source}:${lineNumber}: document "${docId}" appears twice for query "${queryId}" (trec_eval refuses duplicate documents)`);
    }
    docIds.add(docId);
    docs.push({ docId, score });
  });
  return run;
}

/**
 * TREC run text: one `qid Q0 docid rank score tag` line per document, queries in map order, documents in array
 * order with ranks 1, 2, ...; scores at full precision (shortest round-trip form), since rounding would create
 * ties that trec_eval breaks by docid.
 */
export function formatTrecRun(run: Run, tag: string): string {
  if (!/^\S+$/.test(tag)) throw usageError('bad_run_tag', `run tag "${tag}" must be one word without whitespace`);
  const lines: string[] = [];
  for (const [queryId, docs] of run) {
    checkTrecToken(queryId, 'query id', 'run');
    docs.forEach((doc: RankedDoc, index) => {
      checkTrecToken(doc.docId, `document id (query ${queryId})`, 'run');
      lines.push(`${queryId} Q0 ${doc.docId} ${index + 1} ${doc.score} ${tag}\n`);
    });
  }
  return lines.join('');
}

export async function writeTrecRun(filePath: string, run: Run, tag: string): Promise<void> {
  await writeFileAtomic(filePath, formatTrecRun(run, tag));
}

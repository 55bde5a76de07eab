import type { Qrels } from '../core/types.js';
import { dataError } from '../core/errors.js';
import { checkTrecToken, forEachFieldLine, readTextPieces, wholeLines } from './text-file.js';

/**
 * Parses TREC qrels (`qid iteration docid relevance`). Relevance must be an integer (pytrec_eval accepts only
 * ints); negative values are kept (not relevant, but they still occupy their rank). A repeated judgment is
 * accepted when it agrees and rejected when it contradicts the first one.
 */
export function parseTrecQrels(text: string | readonly string[], source: string): Qrels {
  const qrels: Qrels = new Map();
  let lines = 0;
  for (const piece of wholeLines(text)) lines = forEachFieldLine(piece, 4, (fields, lineNumber) => {
    if (fields.length !== 4) {
      throw dataError(
        'qrels_malformed',
        `${source}:${lineNumber}: expected 4 whitespace-separated columns "qid iteration docid relevance", found ${fields.length > 4 ? 'more than 4' : fields.length}`,
      );
    }
    const [queryId, , docId, relText] = fields as [string, string, string, string];
    if (!/^[+-]?\d+$/.test(relText) || !Number.isSafeInteger(Number(relText))) {
      throw dataError('qrels_malformed', `${source}:${lineNumber}: the relevance column (4th) must be an integer, found "${relText}"`);
    }
    const rel = Number(relText);
    let judgments = qrels.get(queryId);
    if (!judgments) qrels.set(queryId, (judgments = new Map()));
    const previous = judgments.get(docId);
    if (previous !== undefined && previous !== rel) {
      throw dataError('qrels_conflict', `${source}:${lineNumber}: document "${docId}" of query "${queryId}" was already judged ${previous}, now ${rel}`);
    }
    judgments.set(docId, rel);
  }, lines);
  return qrels;
}

export async function readQrelsFile(filePath: string): Promise<Qrels> {
  const qrels = parseTrecQrels(await readTextPieces(filePath, 'qrels file'), filePath);
  if (qrels.size === 0) throw dataError('qrels_empty', `qrels file ${filePath} holds no judgments (no "qid iteration docid relevance" line); check the file`);
  return qrels;
}

export function formatTrecQrels(qrels: Qrels): string {
  const lines: string[] = [];
  for (const [queryId, judgments] of qrels) {
    checkTrecToken(queryId, 'query id', 'qrels');
    for (const [docId, rel] of judgments) {
      checkTrecToken(docId, 'document id', 'qrels', queryId);
      lines.push(`${queryId} 0 ${docId} ${rel}\n`);
    }
  }
  return lines.join('');
}

export async function writeTrecQrels(filePath: string, qrels: Qrels): Promise<void> {
  // the atomic writer (and node:crypto behind it) loads only when qrels are written: `score` only reads them
  const { writeFileAtomic } = await import('../core/atomic-file.js');
  await writeFileAtomic(filePath, formatTrecQrels(qrels));
}

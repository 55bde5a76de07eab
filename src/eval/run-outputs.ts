import path from 'node:path';
import type { Run } from '../core/types.js';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { ByteText } from './byte-text.js';
import { ScoreJsonWriter } from './score-json.js';
import { appendTrecLine, checkRunTag } from './trec-run.js';
import { checkTrecToken } from './text-file.js';

/**
 * Writes dir/run.trec and dir/score.json (what `eval` keeps per task), each atomically, with the bytes of
 * writeTrecRun and writeScoreJson, formatted in one pass: turning a score into its shortest decimal text is the
 * costliest step of both files, and each score is converted once for the two.
 */
export async function writeRunOutputs(dir: string, run: Run, tag: string): Promise<void> {
  checkRunTag(tag);
  await writeFilesAtomic([path.join(dir, 'run.trec'), path.join(dir, 'score.json')], ([trecSink, jsonSink]) => {
    const trec = new ByteText(trecSink);
    const json = new ScoreJsonWriter(new ByteText(jsonSink));
    for (const [queryId, docs] of run) {
      checkTrecToken(queryId, 'query id', 'run');
      json.query(queryId);
      for (let i = 0; i < docs.length; i++) {
        const { docId, score } = docs[i]!;
        const scoreText = String(score);
        appendTrecLine(trec, queryId, docId, i + 1, scoreText, tag);
        json.document(docId, score, scoreText);
      }
    }
    trec.end();
    json.end();
  });
}

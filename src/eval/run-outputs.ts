import path from 'node:path';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { ByteText } from './byte-text.js';
import type { Run } from './ranked-list.js';
import { RunLines } from './run-lines.js';
import { ScoreJsonWriter } from './score-json.js';
import { ScoreText } from './score-text.js';
import { checkRunTag, TrecLineWriter } from './trec-run.js';

/**
 * Writes dir/run.trec and dir/score.json (what `eval` keeps per task), each atomically, with the bytes of
 * writeTrecRun and writeScoreJson, formatted in one pass. Nearly every line is formatted in WebAssembly
 * (RunLines); the rest here, one at a time, where turning a score into its shortest decimal text is the costliest
 * step of both files: each score is converted once for the two (ScoreText), and so is each id.
 */
export async function writeRunOutputs(dir: string, run: Run, tag: string): Promise<void> {
  checkRunTag(tag);
  await writeFilesAtomic([path.join(dir, 'run.trec'), path.join(dir, 'score.json')], ([trecSink, jsonSink]) => {
    const trec = new ByteText(trecSink);
    const trecLines = new TrecLineWriter(trec, tag);
    const jsonText = new ByteText(jsonSink);
    const json = new ScoreJsonWriter(jsonText);
    const score = new ScoreText();
    const formatted = new RunLines();
    for (const [queryId, docs] of run) {
      trecLines.query(queryId);
      json.query(queryId);
      for (let i = 0; i < docs.length; i++) {
        const next = formatted.format(docs, i, trecLines.lineStartBytes, trecLines.lineEndBytes);
        trecLines.lines(formatted.trec);
        json.documents(formatted.json, next - i);
        i = next;
        if (i === docs.length) break;
        const docId = docs.docId(i);
        score.set(docs.scores[i]!);
        trecLines.lineStart();
        json.documentStart();
        // nearly every id is the same bytes in both files: copied into both in one pass
        if (!trec.plainTwice(docId, jsonText)) {
          trecLines.docId(docId);
          json.documentId(docId);
        }
        trecLines.lineEnd(i + 1, score);
        json.documentEnd(score);
      }
    }
    trec.end();
    json.end();
  });
}

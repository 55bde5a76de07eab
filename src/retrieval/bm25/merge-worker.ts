import { parentPort } from 'node:worker_threads';
import { cursorAfter, scatterRuns, type MergeReply, type MergeRequest } from './postings-merge.js';

/**
 * Worker entry: copies the later chunks' postings of a large index into its shared postings while the main thread
 * copies the earlier ones (gensim-dictionary.ts, `finishInParallel`), then says so.
 */
parentPort?.once('message', ({ chunks, termOffsets, before, postingDocs, postingTfs }: MergeRequest) => {
  try {
    scatterRuns(chunks, cursorAfter(termOffsets, before), postingDocs, postingTfs);
    parentPort!.postMessage({ done: true } satisfies MergeReply);
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies MergeReply);
  }
});

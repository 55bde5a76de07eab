import { parentPort } from 'node:worker_threads';
import { answerMerge, type MergeRequest } from './postings-merge.js';

/**
 * Worker entry: copies the later chunks' postings of a large index into its shared postings while the main thread
 * copies the earlier ones (gensim-dictionary.ts, `finishInParallel`, when no analysis worker is left to do it), then
 * says so.
 */
parentPort?.once('message', (request: MergeRequest) => parentPort!.postMessage(answerMerge(request)));

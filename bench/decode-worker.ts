/**
 * Worker of the `load` bench: decodes the row groups it is sent from the documents file itself, as a BM25 analysis
 * worker does (dataset/parquet-texts.ts `readStoredUtf8`: the texts as UTF-8 bytes, the form the analyzer takes),
 * and drops them, answering with how many rows and bytes it read.
 */
import { parentPort } from 'node:worker_threads';
import { readStoredUtf8 } from '../src/dataset/parquet-texts.js';
import { Utf8Sink } from '../src/dataset/utf8-values.js';
import type { StoredChunk } from '../src/retrieval/bm25/analysis-worker.js';

export interface DecodeReply {
  rows: number;
  bytes: number;
}

const sink = new Utf8Sink();
// one range at a time, as an analysis worker answers: the sink's memory is reused from one range to the next
let queue = Promise.resolve();
parentPort!.on('message', (request: StoredChunk) => {
  queue = queue.then(async () => {
    const { bytes, offsets } = await readStoredUtf8(request.stored, request.first, request.end, sink);
    parentPort!.postMessage({ rows: offsets.length - 1, bytes: bytes.length } satisfies DecodeReply);
  });
});
parentPort!.postMessage('ready');

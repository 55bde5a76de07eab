/**
 * Worker of the `load` bench: decodes the row groups it is sent from the documents file itself, as a BM25 analysis
 * worker does (dataset/parquet-texts.ts), and drops the texts, answering with how many rows and characters it made.
 */
import { parentPort } from 'node:worker_threads';
import { readStoredTexts } from '../src/dataset/parquet-texts.js';
import type { StoredChunk } from '../src/retrieval/bm25/analysis-worker.js';

export interface DecodeReply {
  rows: number;
  characters: number;
}

parentPort!.on('message', (request: StoredChunk) => {
  void readStoredTexts(request.stored, request.first, request.end).then((texts) => {
    let characters = 0;
    for (const text of texts) characters += text.length;
    parentPort!.postMessage({ rows: texts.length, characters } satisfies DecodeReply);
  });
});
parentPort!.postMessage('ready');

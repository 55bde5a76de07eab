import { parentPort } from 'node:worker_threads';
import { ChunkAnalyzer } from './chunk-analysis.js';
import { chunkPostings, PostingsScratch } from './chunk-postings.js';

/** Worker entry: analyzes the chunks it is sent, in order, lays each out by term and transfers the arrays back. */
export interface ChunkRequest {
  chunk: number;
  texts: string[];
}

const analyzer = new ChunkAnalyzer();
const scratch = new PostingsScratch();

parentPort?.on('message', (request: ChunkRequest) => {
  const postings = chunkPostings(analyzer.analyzeTransient(request.texts), scratch);
  const { newTermEnds, docLengths, terms, termOffsets, postingDocs, postingTfs } = postings;
  const transfer = [newTermEnds.buffer, docLengths.buffer, terms.buffer, termOffsets.buffer, postingDocs.buffer, postingTfs.buffer] as ArrayBuffer[];
  parentPort!.postMessage({ chunk: request.chunk, postings }, transfer);
});

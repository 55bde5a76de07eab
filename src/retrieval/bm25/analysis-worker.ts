import { parentPort } from 'node:worker_threads';
import { analyzeChunk } from './chunk-analysis.js';

/** Worker entry: analyzes the chunks it is sent and transfers the typed arrays back. */
export interface ChunkRequest {
  chunk: number;
  texts: string[];
}

parentPort?.on('message', (request: ChunkRequest) => {
  const analysis = analyzeChunk(request.texts);
  const transfer = [analysis.docOffsets.buffer, analysis.terms.buffer, analysis.tfs.buffer] as ArrayBuffer[];
  parentPort!.postMessage({ chunk: request.chunk, analysis }, transfer);
});

import { parentPort } from 'node:worker_threads';
import { ChunkAnalyzer } from './chunk-analysis.js';

/** Worker entry: analyzes the chunks it is sent, in order, and transfers the typed arrays back. */
export interface ChunkRequest {
  chunk: number;
  texts: string[];
}

const analyzer = new ChunkAnalyzer();

parentPort?.on('message', (request: ChunkRequest) => {
  const analysis = analyzer.analyze(request.texts);
  const transfer = [analysis.docOffsets.buffer, analysis.terms.buffer, analysis.tfs.buffer, analysis.newTermEnds.buffer] as ArrayBuffer[];
  parentPort!.postMessage({ chunk: request.chunk, analysis }, transfer);
});

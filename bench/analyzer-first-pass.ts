/**
 * Worker entry of the bm25 bench's first-pass analyzer rows: one pass over the texts on a fresh thread, i.e. with
 * empty token tables and a cold JIT, as each BM25 analysis worker starts its share of a corpus (the steady-state
 * rows pass again and again over tables that are already filled, which a worker never does). Posts the pass's wall
 * and CPU time; the CPU time is the process's, which holds only this pass while the bench's main thread waits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyze } from '../src/retrieval/analyzer/analyze.js';
import { ChunkAnalyzer } from '../src/retrieval/bm25/chunk-analysis.js';
import { utf8Chunks } from './utf8-chunks.js';

export interface FirstPassRequest {
  texts: string[];
  /**
   * `analyze()` token lists through this thread's token table, or the BM25 postings of 1,000-document chunks read
   * from their UTF-8 bytes, as an analysis worker makes them from the row groups it decodes.
   */
  mode: 'analyze' | 'chunks';
}

export interface FirstPassTimes {
  wallMs: number;
  cpuMs: number;
}

const { texts, mode } = workerData as FirstPassRequest;
// a worker is told the size of its share, which sizes its token tables up front
const units = texts.reduce((sum, text) => sum + text.length, 0);
// the bytes come from the parquet decode (the load bench's rows), not from the analyzer
const chunks = mode === 'chunks' ? utf8Chunks(texts, 1000) : [];
const started = performance.now();
const used = process.cpuUsage();
if (mode === 'analyze') {
  for (const text of texts) analyze(text);
} else {
  const analyzer = new ChunkAnalyzer();
  for (const { bytes, offsets } of chunks) analyzer.postingsUtf8(bytes, offsets, units);
}
const { user, system } = process.cpuUsage(used);
parentPort!.postMessage({ wallMs: performance.now() - started, cpuMs: (user + system) / 1000 } satisfies FirstPassTimes);

import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../core/version.js';
import { interruptedError, throwIfAborted } from '../../core/errors.js';
import { analyzeChunk, type ChunkAnalysis } from './chunk-analysis.js';
import type { ChunkRequest } from './analysis-worker.js';

export interface CorpusAnalysisOptions {
  /** Worker threads; 1 analyzes on the calling thread. */
  threads: number;
  signal?: AbortSignal;
  /** Called with the number of UTF-16 units analyzed since the last call. */
  onProgress?: (units: number) => void;
}

/** Below this many UTF-16 units, starting workers costs more than it saves. */
const INLINE_LIMIT = 256 * 1024;
const MAX_CHUNK_UNITS = 2 * 1024 * 1024;
const MIN_CHUNK_UNITS = 64 * 1024;

/**
 * Analyzes every document as chunks of consecutive documents and hands each chunk to `consume` in corpus order as
 * soon as it and all before it are done, so the caller can fold it in and let it go instead of holding them all.
 */
export async function analyzeCorpus(
  texts: readonly string[],
  options: CorpusAnalysisOptions,
  consume: (chunk: ChunkAnalysis) => void,
): Promise<void> {
  throwIfAborted(options.signal);
  let totalUnits = 0;
  for (const text of texts) totalUnits += text.length;
  const threads = Math.max(1, Math.floor(options.threads));
  // several chunks per thread so a slow chunk does not leave the other cores idle at the end
  const targetUnits = Math.min(MAX_CHUNK_UNITS, Math.max(MIN_CHUNK_UNITS, Math.ceil(totalUnits / (threads * 4))));
  const chunks = splitIntoChunks(texts, targetUnits);
  if (threads === 1 || totalUnits < INLINE_LIMIT || chunks.length === 1) {
    for (const chunk of chunks) {
      throwIfAborted(options.signal);
      consume(analyzeChunk(chunk.texts));
      options.onProgress?.(chunk.units);
    }
    return;
  }
  return analyzeInWorkers(chunks, Math.min(threads, chunks.length), options, consume);
}

interface Chunk {
  texts: string[];
  units: number;
}

function splitIntoChunks(texts: readonly string[], targetUnits: number): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let units = 0;
  for (let i = 0; i < texts.length; i++) {
    units += texts[i]!.length;
    if (units >= targetUnits) {
      chunks.push({ texts: texts.slice(start, i + 1), units });
      start = i + 1;
      units = 0;
    }
  }
  if (start < texts.length || chunks.length === 0) chunks.push({ texts: texts.slice(start), units });
  return chunks;
}

/** Workers run compiled JavaScript: from the TypeScript sources (tests), use the build in dist/. */
function workerUrl(): URL {
  if (import.meta.url.endsWith('.ts')) {
    return pathToFileURL(path.join(packageRoot, 'dist', 'retrieval', 'bm25', 'analysis-worker.js'));
  }
  return new URL('./analysis-worker.js', import.meta.url);
}

function analyzeInWorkers(
  chunks: Chunk[],
  threads: number,
  options: CorpusAnalysisOptions,
  consume: (chunk: ChunkAnalysis) => void,
): Promise<void> {
  // chunks finished ahead of an earlier one wait here (at most about one per worker)
  const waiting = new Map<number, ChunkAnalysis>();
  const workers: Worker[] = [];
  let nextChunk = 0;
  let consumed = 0;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      void Promise.all(workers.map((worker) => worker.terminate())).then(() =>
        error === undefined ? resolve() : reject(error),
      );
    };
    const onAbort = () => finish(interruptedError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const feed = (worker: Worker) => {
      if (nextChunk >= chunks.length) return;
      const chunk = nextChunk++;
      const request: ChunkRequest = { chunk, texts: chunks[chunk]!.texts };
      worker.postMessage(request);
    };
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerUrl());
      workers.push(worker);
      worker.on('message', (message: { chunk: number; analysis: ChunkAnalysis }) => {
        if (settled) return;
        waiting.set(message.chunk, message.analysis);
        options.onProgress?.(chunks[message.chunk]!.units);
        feed(worker);
        try {
          for (let ready = waiting.get(consumed); ready !== undefined; ready = waiting.get(consumed)) {
            waiting.delete(consumed++);
            consume(ready);
          }
        } catch (error) {
          finish(error);
          return;
        }
        if (consumed === chunks.length) finish();
      });
      worker.on('error', (error) => finish(error));
      worker.on('exit', (code) => {
        if (!settled) finish(new Error(`BM25 analysis worker exited with code ${code} before finishing`));
      });
      feed(worker);
    }
  });
}

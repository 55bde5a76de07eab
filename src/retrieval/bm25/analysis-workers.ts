import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../core/version.js';
import type { StoredTexts } from '../../core/types.js';
import type { ChunkReply, ChunkRequest } from './analysis-worker.js';
import { storedChunks } from './chunk-plan.js';
import { indexCacheFolder } from './index-cache-folder.js';

/** A chunk request sent ahead, and its reply once it comes (or what stopped the worker first). */
export interface AheadRequest {
  request: ChunkRequest;
  reply: Promise<ChunkReply | { lost: unknown }>;
}

/**
 * Analysis workers started ahead of the texts: a cold run knows it will analyze as soon as it finds no cached index,
 * and each worker's start (Node's bootstrap and the analyzer's modules, ~0.1 s of CPU) can then overlap the task's
 * loading on the other core. Until they are given work they do not keep the process alive.
 */
export class AnalysisWorkers {
  readonly workers: Worker[];
  /** What stopped a worker before it was given work. */
  failure: unknown;
  /** The first chunk of each worker, sent by `sendAhead` (request i to worker i); empty until then. */
  readonly ahead: AheadRequest[] = [];

  /** The first worker is the one `startWorkerAhead` started, if it is still running and nothing took it. */
  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = takeWorkerAhead() ?? new Worker(workerUrl());
      worker.unref();
      worker.on('error', (error) => (this.failure ??= error));
      worker.on('exit', (code) => (this.failure ??= new Error(`BM25 analysis worker exited with code ${code} before finishing`)));
      return worker;
    });
  }

  /**
   * Sends each worker its first chunk of the stored texts now, as the analysis will cut them (chunk-plan.ts), so that
   * each starts decoding and analyzing as soon as it has booted, while this thread still decodes the ids and checks
   * the task; the analysis takes the replies over (parallel-analysis.ts). Nothing is sent for a corpus the analysis
   * would not give to workers.
   */
  sendAhead(stored: StoredTexts): void {
    const chunks = storedChunks(stored, this.workers.length) ?? [];
    this.workers.forEach((worker, i) => {
      const chunk = chunks[i];
      if (chunk === undefined) return;
      const request: ChunkRequest = { chunk: i, expectedUnits: chunk.unitsPerWorker, ...chunk.source };
      const reply = new Promise<ChunkReply | { lost: unknown }>((settle) => {
        const lost = (error: unknown) => settle({ lost: error });
        const onExit = (code: number) => lost(new Error(`BM25 analysis worker exited with code ${code} before finishing`));
        worker.once('message', (message: ChunkReply) => {
          worker.off('error', lost).off('exit', onExit);
          settle(message);
        });
        worker.once('error', lost).once('exit', onExit);
      });
      worker.postMessage(request);
      this.ahead.push({ request, reply });
    });
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/**
 * An analysis worker started before its corpus is known, for the next `AnalysisWorkers` to take as its first: eval
 * starts it before the retriever's modules load and the corpus file is looked up (~40 ms of a cold run's main-thread
 * CPU before the analysis workers would otherwise start), so that Node's bootstrap of the thread (~50 ms of CPU) runs
 * on the core that this loading leaves idle. `exited`: it stopped (or failed) before anything took it.
 */
let ahead: { worker: Worker; exited: boolean } | null = null;

/**
 * Starts that worker and returns it when the run surely analyzes: no BM25 index lies in `cacheDir` (null: no cache)
 * at all. Otherwise the run may read its index from there, and the worker would boot for nothing (a cached eval's
 * process CPU grew by ~0.1 s): the index stage's prefetch then starts the analysis workers once it knows. Null also
 * when one is waiting already, or on a single core (where the analysis runs on the calling thread).
 */
export function startWorkerAhead(cacheDir: string | null): Worker | null {
  if (ahead !== null || os.availableParallelism() < 2 || (cacheDir !== null && existsSync(indexCacheFolder(cacheDir)))) return null;
  const started = { worker: new Worker(workerUrl()), exited: false };
  // it must not keep the process alive; a failure before anything takes it only marks it as not to be taken (the
  // analysis then starts a fresh worker, and reports that one's failure if it fails the same way)
  started.worker.unref();
  started.worker.on('error', () => (started.exited = true)).on('exit', () => (started.exited = true));
  ahead = started;
  return started.worker;
}

function takeWorkerAhead(): Worker | null {
  const taken = ahead;
  ahead = null;
  return taken !== null && !taken.exited ? taken.worker : null;
}

/**
 * Stops the worker started ahead if nothing took it (an index read from the cache, a corpus analyzed inline, a run
 * that failed first): an idle thread is not left to the process's exit.
 */
export async function stopWorkerAhead(): Promise<void> {
  await takeWorkerAhead()?.terminate();
}

/**
 * A worker module of this folder (the analysis worker unless named): workers run compiled JavaScript, so from the
 * TypeScript sources (tests) the build in dist/.
 */
export function workerUrl(file = 'analysis-worker.js'): URL {
  if (import.meta.url.endsWith('.ts')) {
    return pathToFileURL(path.join(packageRoot, 'dist', 'retrieval', 'bm25', file));
  }
  return new URL(`./${file}`, import.meta.url);
}

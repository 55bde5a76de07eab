import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../core/version.js';

/**
 * Analysis workers started ahead of the texts: a cold run knows it will analyze as soon as it finds no cached index,
 * and each worker's start (Node's bootstrap and the analyzer's modules, ~0.1 s of CPU) can then overlap the task's
 * loading on the other core. Until they are given work they do not keep the process alive.
 */
export class AnalysisWorkers {
  readonly workers: Worker[];
  /** What stopped a worker before it was given work. */
  failure: unknown;

  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(workerUrl());
      worker.unref();
      worker.on('error', (error) => (this.failure ??= error));
      worker.on('exit', (code) => (this.failure ??= new Error(`BM25 analysis worker exited with code ${code} before finishing`)));
      return worker;
    });
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
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

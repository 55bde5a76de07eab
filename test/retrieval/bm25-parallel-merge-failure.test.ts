/**
 * The postings merge on other threads (gensim-dictionary.ts `finishInParallel`: a merge worker started for it,
 * merge-worker.ts, or the idle analysis workers of a cold eval) when a merge fails: the build rejects with the
 * failure, never hangs, leaves no unhandled rejection and no running worker, and a cold eval that hits it leaves
 * neither an index cache file nor a results folder.
 *
 * The failures are made from outside the production code: `node:worker_threads` is mocked with a Worker that, when a
 * test asks, sends a merge request (any worker's) that the real worker rejects, or fails to send it, or (for a merge
 * worker) runs a stand-in script that crashes or exits instead. The builder is mocked to lay out every index it
 * finishes on two threads (`parallelPostings: 1`, `threads: 2`), as the happy-path test (bm25-parallel-merge.test.ts)
 * does by hand, so that a small fixture eval takes that path too.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chunkPostings } from '../../src/retrieval/bm25/chunk-postings.js';
import { AnalyzedIndexBuilder } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { DEFAULT_DATASET, getTask } from '../../src/dataset/registry.js';
import { runEvaluation } from '../../src/pipeline/run-evaluation.js';
import { fixturesRoot } from '../helpers/cli.js';
import { chunksOfTokens, comparable } from './bm25-index-builds.js';

type Failure = 'none' | 'rejected request' | 'crash' | 'exit' | 'unsendable';

const control = vi.hoisted(() => ({ failure: 'none' as Failure, mergeWorkers: [] as NodeWorker[] }));

vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  /** Stand-ins for the merge worker: one that throws on its request (an 'error' event), one that exits (an 'exit'). */
  const standIns: Partial<Record<Failure, string>> = {
    crash: `require('node:worker_threads').parentPort.once('message', () => { throw new Error('merge stand-in crashed'); });`,
    exit: `require('node:worker_threads').parentPort.once('message', () => process.exit(7));`,
  };
  class Worker extends original.Worker {
    constructor(script: string | URL, options?: WorkerOptions) {
      const standIn = String(script).endsWith('merge-worker.js') ? standIns[control.failure] : undefined;
      super(standIn ?? script, standIn === undefined ? options : { eval: true });
    }
    override postMessage(message: unknown, transfer?: readonly import('node:worker_threads').Transferable[]): void {
      // a merge request (the only message with chunks) marks the worker as one that merges
      if (typeof message !== 'object' || message === null || !('chunks' in message)) return super.postMessage(message, transfer);
      control.mergeWorkers.push(this);
      if (control.failure === 'unsendable') throw new Error('merge request could not be sent');
      // the real worker is sent chunks it cannot iterate: its scatterRuns throws, and it replies with the error
      super.postMessage(control.failure === 'rejected request' ? { ...message, chunks: null } : message, transfer);
    }
  }
  return { ...original, Worker, default: { ...original, Worker } };
});

vi.mock('../../src/retrieval/bm25/gensim-dictionary.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/retrieval/bm25/gensim-dictionary.js')>();
  class AnalyzedIndexBuilder extends original.AnalyzedIndexBuilder {
    constructor(...[pruneAt, documents, options]: ConstructorParameters<typeof original.AnalyzedIndexBuilder>) {
      super(pruneAt, documents, { ...options, threads: 2, parallelPostings: 1 });
    }
  }
  return { ...original, AnalyzedIndexBuilder };
});

/** Unhandled rejections seen while a test ran (vitest would report them too, after the test). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  control.failure = 'none';
  control.mergeWorkers.length = 0;
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

/** A few rounds of the event loop: long enough for a late rejection to be reported as unhandled. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** A builder with a 6,000-document corpus in 4 chunks added: the later 2 are the merge worker's. */
function builder(): AnalyzedIndexBuilder {
  const documents = 6_000;
  const tokens = Array.from({ length: documents }, (_, doc) => [`t${doc % 97}`, `u${doc % 1013}`, `v${(doc * 7) % 3001}`]);
  const built = new AnalyzedIndexBuilder(undefined, documents, {});
  for (const chunk of chunksOfTokens(tokens, 1500)) built.add(chunkPostings(chunk));
  return built;
}

describe('BM25 two-thread postings merge: a failing merge worker', () => {
  it('lays the postings out as one thread does when nothing fails (the mocks themselves change nothing)', async () => {
    const index = await builder().finishInParallel();
    expect(control.mergeWorkers).toHaveLength(1);
    expect(comparable(index)).toEqual(comparable(builder().finish()));
  });

  it.each([
    ['rejected request', /^BM25 merge worker: .*(null|iterable)/],
    ['crash', /^BM25 merge worker: merge stand-in crashed$/],
    ['exit', /^BM25 merge worker exited with code 7 before finishing$/],
    ['unsendable', /^merge request could not be sent$/],
  ] as const)('%s: the build rejects with the failure, the worker is stopped, nothing is left unhandled', async (failure, message) => {
    control.failure = failure;
    const built = builder();
    await expect(built.finishInParallel()).rejects.toThrow(message);
    expect(control.mergeWorkers).toHaveLength(1);
    // stopped before the rejection reached the caller, not left to exit by itself
    expect(control.mergeWorkers[0]!.threadId).toBe(-1);
    await settle();
    expect(unhandled).toEqual([]);
  });
});

describe('a cold BM25 eval whose merge worker fails', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-merge-failure-'));
    vi.stubEnv('REASONIR_CACHE', path.join(work, 'cache'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(work, { recursive: true, force: true });
  });

  const evaluate = (out: string) =>
    runEvaluation({
      tasks: [getTask('leetcode')],
      retriever: { kind: 'bm25' },
      queries: 'original',
      long: false,
      revision: DEFAULT_DATASET.revision,
      dataDir: path.join(fixturesRoot, 'bright', 'data'),
      depth: 1000,
      out,
      argv: [],
      signal: new AbortController().signal,
    });
  /** The files under the cache folder, relative (lock files aside). */
  const cacheFiles = () => {
    const cache = path.join(work, 'cache');
    if (!existsSync(cache)) return [];
    return readdirSync(cache, { recursive: true, withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && !entry.name.endsWith('.lock'))
      .map((entry) => path.relative(cache, path.join(entry.parentPath, entry.name)));
  };

  // the fixture corpus is large enough for analysis workers: the two of them merge, and no merge worker is started
  it('writes the index cache and the results when the workers succeed (the control)', async () => {
    const out = path.join(work, 'out');
    await evaluate(out);
    expect(control.mergeWorkers).toHaveLength(2);
    expect(cacheFiles().some((file) => file.includes('bm25'))).toBe(true);
    expect(existsSync(path.join(out, 'leetcode', 'run.trec'))).toBe(true);
  });

  it.each([
    ['rejected request', /^BM25 merge worker: /, 2],
    ['unsendable', /^merge request could not be sent$/, 1],
  ] as const)('%s: fails naming the merge, leaving no cache file, no results folder and no running worker', async (failure, message, sent) => {
    control.failure = failure;
    const out = path.join(work, 'out');
    await expect(evaluate(out)).rejects.toThrow(message);
    expect(control.mergeWorkers).toHaveLength(sent);
    for (const worker of control.mergeWorkers) expect(worker.threadId).toBe(-1);
    expect(cacheFiles()).toEqual([]);
    expect(existsSync(out)).toBe(false);
    await settle();
    expect(unhandled).toEqual([]);
  });
});

import { Worker } from 'node:worker_threads';
import type { Candidates, Query } from '../../core/types.js';
import { throwIfAborted } from '../../core/errors.js';
import { workerUrl } from './analysis-workers.js';
import type { AnalyzedIndex } from './gensim-dictionary.js';
import type { BowVector, LuceneBm25Model } from './lucene-bm25-model.js';

/** What a search worker is sent first: the index without its vocabulary, and the model's parameters. */
export interface SearchWorkerData {
  postings: Omit<AnalyzedIndex, 'vocabulary'>;
  k1: number;
  b: number;
}

/** One query for a search worker: `keep` as for `QueryCandidates.of`. */
export interface SearchRequest {
  query: number;
  queryId: string;
  vector: BowVector;
  keep: number | null;
}

/** What a search worker is sent: the index once, then queries. */
export type SearchMessage = { search: SearchWorkerData } | SearchRequest;

export interface SearchResult {
  query: number;
  candidates: Candidates;
}

/**
 * Document scores in all (documents x queries) from which the queries are ranked on several threads: a worker's
 * start and its second cold JIT cost ~0.1 s of CPU, which a leetcode-sized search (414k documents x 142 queries,
 * ~4 s on one thread) repays many times and a biology-sized one (57k x 103, ~0.2 s) does not.
 */
const PARALLEL_SCORES = 2 ** 25;
/**
 * The same with workers already running (a cold build's analysis workers, idle once the index is built; all but
 * one of them rank, bm25-retriever.ts): what is left to repay is their loading of the scoring modules and each one
 * weighing the common terms again, ~20-40 ms of CPU each, while this thread makes the vectors and the ranked lists.
 * Biology-sized: 57k x 103 = 5.9M.
 */
const STARTED_PARALLEL_SCORES = 2 ** 20;
/** Queries queued on each worker, so that it never waits for the main thread between two. */
const IN_FLIGHT = 2;
/** Queries sent but not yet handed on, per worker: bounds the results held while the caller ranks. */
const WINDOW_PER_WORKER = 4;

/**
 * Whether `searchInWorkers` should rank these queries: several threads, a search large enough (less large when the
 * workers are `started` already), and postings that the workers can share rather than copy (an index built in this
 * process, or read from its cache file: both lie on SharedArrayBuffers; the retriever still searches a cached index
 * on its own thread, Bm25Index.cached).
 */
export function searchesInParallel(index: AnalyzedIndex, queries: number, threads: number, started = false): boolean {
  const shared = [index.termOffsets, index.postingDocs, index.postingTfs].every((array) => array.buffer instanceof SharedArrayBuffer);
  return threads > 1 && shared && index.numDocs * queries >= (started ? STARTED_PARALLEL_SCORES : PARALLEL_SCORES);
}

/** `threads` new search workers, sent the index (`sendIndex`) and ready for `searchInWorkers`. */
export function startSearchWorkers(model: LuceneBm25Model, threads: number): Worker[] {
  const workers = Array.from({ length: threads }, () => new Worker(workerUrl('search-worker.js')));
  sendIndex(workers, model.index, model.k1, model.b);
  return workers;
}

/**
 * Sends running workers the index their searches score against (the first search message they get): the search
 * workers, or the analysis workers once the index they analyzed is built, so that they load the scoring modules and
 * set up while this thread finishes the index stage.
 */
export function sendIndex(workers: readonly Worker[], index: AnalyzedIndex, k1: number, b: number): void {
  const { vocabulary: _, df, docLengths, ...postings } = index;
  // shared (a built index's, a cache file's) they are sent as they are; otherwise (an index decoded from bytes in
  // ordinary memory) each worker gets its own copy of them, copied alone, as a view of a larger buffer would carry
  // all of it along
  const own = <T extends Uint16Array | Uint32Array>(array: T): T => (array.buffer instanceof SharedArrayBuffer ? array : (array.slice() as T));
  const search: SearchWorkerData = { postings: { ...postings, df: own(df), docLengths: own(docLengths) }, k1, b };
  for (const worker of workers) worker.postMessage({ search } satisfies SearchMessage);
}

/**
 * The queries' candidates in query order, each ranked on one of the `workers` (sent the index with this `model`'s
 * parameters) with the same code as the single-thread search (`QueryCandidates`), so they are the same arrays. The
 * main thread makes the query vectors (the vocabulary stays here) from `tokensOf` each query (its analyzed text)
 * and hands on each result while the workers rank the next queries. The workers are terminated at the end: awaited
 * here, unless `stopping` takes their termination (the caller then goes on while the threads tear down, and awaits
 * it later).
 */
export async function* searchInWorkers(
  model: LuceneBm25Model,
  queries: readonly Query[],
  keepOf: (query: Query) => number | null,
  workers: readonly Worker[],
  { tokensOf, signal, stopping }: { tokensOf: (query: number) => readonly string[]; signal?: AbortSignal; stopping?: (stopped: Promise<unknown>) => void },
): AsyncIterable<Candidates> {
  const results = new Map<number, Candidates>();
  /** A free queue place per entry. */
  const free: Worker[] = [];
  const window = WINDOW_PER_WORKER * workers.length;
  let sent = 0;
  let handed = 0;
  let failed = false;
  let failure: unknown;
  let finished = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const fail = (error: unknown) => {
    if (!failed) [failed, failure] = [true, error];
    notify();
  };
  const send = () => {
    try {
      while (free.length > 0 && sent < queries.length && sent < handed + window) {
        const query = queries[sent]!;
        const request: SearchRequest = { query: sent, queryId: query.id, vector: model.vectorize(tokensOf(sent)), keep: keepOf(query) };
        free.pop()!.postMessage(request);
        sent++;
      }
    } catch (error) {
      fail(error);
    }
  };
  for (const worker of workers) {
    worker.ref();
    worker.on('message', ({ query, candidates }: SearchResult) => {
      results.set(query, candidates);
      free.push(worker);
      send();
      notify();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!finished) fail(new Error(`BM25 search worker exited with code ${code} before finishing`));
    });
    for (let i = 0; i < IN_FLIGHT; i++) free.push(worker);
  }
  try {
    send();
    while (handed < queries.length) {
      let result: Candidates | undefined;
      while ((result = results.get(handed)) === undefined) {
        if (failed) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      results.delete(handed++);
      throwIfAborted(signal);
      send();
      yield result;
    }
  } finally {
    finished = true;
    const stopped = Promise.all(workers.map((worker) => worker.terminate()));
    if (stopping !== undefined) stopping(stopped.catch(() => undefined));
    else await stopped;
  }
}

import { Worker } from 'node:worker_threads';
import { HarnessError, interruptedError, throwIfAborted } from '../../core/errors.js';
import type { ExitCode } from '../../core/errors.js';
import type { CorpusSource, TextBatch } from '../../core/types.js';
import { ChunkAnalyzer } from './chunk-analysis.js';
import type { ChunkPostings } from './chunk-postings.js';
import type { ChunkFailure, ChunkReply, ChunkRequest } from './analysis-worker.js';
import { AnalysisWorkers, workerUrl, type AheadRequest } from './analysis-workers.js';
import { chunkTarget, INLINE_LIMIT, storedChunks, type WorkerChunk } from './chunk-plan.js';

export interface CorpusAnalysisOptions {
  /** Worker threads; 1 analyzes on the calling thread. */
  threads: number;
  /** Documents in the corpus, when known: sizes the chunks from the first batch when that is only part of it. */
  documents?: number;
  signal?: AbortSignal;
  /** Called with the number of documents analyzed since the last call. */
  onProgress?: (documents: number) => void;
  /** Workers already started (`threads` of them); terminated when the analysis ends, used or not, unless kept. */
  workers?: AnalysisWorkers;
  /**
   * Leaves those `workers` running (unreferenced, idle) once the analysis has succeeded, for the caller to use and
   * terminate (the search ranks on them); they are terminated all the same when the analysis fails.
   */
  keepWorkers?: boolean;
  /**
   * Called once the workers have been sent every chunk (their last replies may still be coming): what the caller
   * tells them now, they find once those chunks are answered.
   */
  onAllSent?: () => void;
}

interface Chunk {
  texts: string[];
  units: number;
  /** The corpus's UTF-16 units, as estimated from the first batch (sizes the analyzers' token tables). */
  corpusUnits: number;
}

/**
 * Analyzes every document as chunks of consecutive documents, each laid out by term, and hands each chunk to
 * `consume` in corpus order as soon as it and all before it are done, so the caller can fold it in and let it go
 * instead of holding them all.
 * When the texts are stored in a parquet file (`corpus.stored`), each worker decodes its chunk's row groups itself:
 * this thread decodes no text and copies none to a worker. Otherwise the texts are pulled from `corpus.texts()`
 * only as fast as the workers take them, so the corpus text is never held whole.
 */
export async function analyzeCorpus(
  corpus: Pick<CorpusSource, 'texts' | 'stored'>,
  options: CorpusAnalysisOptions,
  consume: (chunk: ChunkPostings) => void,
): Promise<void> {
  let analyzed = false;
  try {
    throwIfAborted(options.signal);
    const threads = Math.max(1, Math.floor(options.threads));
    const stored = threads > 1 && corpus.stored ? storedChunks(corpus.stored, threads) : null;
    if (stored !== null) await analyzeInWorkers(stored, threads, options, consume);
    else await analyzeChunks(corpus.texts({ signal: options.signal }), options, consume);
    analyzed = true;
  } finally {
    if (!(analyzed && options.keepWorkers)) await options.workers?.terminate();
  }
}

async function analyzeChunks(
  batches: AsyncIterable<TextBatch>,
  options: CorpusAnalysisOptions,
  consume: (chunk: ChunkPostings) => void,
): Promise<void> {
  const threads = Math.max(1, Math.floor(options.threads));
  const chunks = chunksOf(batches, threads, options.documents, options.signal);
  // the first chunks decide whether workers pay off: a small corpus is analyzed inline
  const head: Chunk[] = [];
  let headUnits = 0;
  let ended = false;
  while (threads > 1 && headUnits < INLINE_LIMIT) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headUnits += next.value.units;
  }
  const all = (async function* () {
    yield* head;
    if (!ended) yield* { [Symbol.asyncIterator]: () => chunks };
  })();
  if (threads === 1 || (ended && (headUnits < INLINE_LIMIT || head.length === 1))) {
    const analyzer = new ChunkAnalyzer();
    for await (const chunk of all) {
      throwIfAborted(options.signal);
      consume(analyzer.postings(chunk.texts, chunk.corpusUnits));
      options.onProgress?.(chunk.texts.length);
    }
    return;
  }
  const workerCount = ended ? Math.min(threads, head.length) : threads;
  const sent = (async function* () {
    for await (const chunk of all) {
      yield { documents: chunk.texts.length, source: { texts: chunk.texts }, unitsPerWorker: Math.ceil(chunk.corpusUnits / workerCount) };
    }
  })();
  await analyzeInWorkers(sent, workerCount, options, consume);
}

/**
 * Consecutive documents grouped into chunks of about `target` UTF-16 units, across batch boundaries. The target
 * comes from the corpus size, estimated from the first batch (a parquet row group, or the whole corpus when it is
 * in memory): several chunks per thread, so a slow chunk does not leave the other cores idle at the end, but no
 * smaller than needed, since each chunk costs a round trip and a pass over its distinct terms.
 */
async function* chunksOf(
  batches: AsyncIterable<TextBatch>,
  threads: number,
  documents: number | undefined,
  signal?: AbortSignal,
): AsyncGenerator<Chunk> {
  let target = 0;
  let corpusUnits = 0;
  let texts: string[] = [];
  let units = 0;
  for await (const batch of batches) {
    throwIfAborted(signal);
    if (target === 0) {
      let batchUnits = 0;
      for (const text of batch.texts) batchUnits += text.length;
      corpusUnits = documents !== undefined && batch.texts.length > 0 ? (batchUnits / batch.texts.length) * documents : batchUnits;
      target = chunkTarget(corpusUnits, threads);
    }
    for (const text of batch.texts) {
      texts.push(text);
      units += text.length;
      if (units >= target) {
        yield { texts, units, corpusUnits };
        texts = [];
        units = 0;
      }
    }
  }
  if (texts.length > 0 || target === 0) yield { texts, units, corpusUnits };
}

interface Job {
  documents: number;
  /** Settles when the worker answers; never rejects (the failure is kept in `error`). */
  settled: Promise<void>;
  postings?: ChunkPostings;
  error?: unknown;
}

/**
 * One chunk per idle worker, results consumed in chunk order. At most `2 * threads` chunks are analyzed or waiting
 * for an earlier one at any time, which bounds memory whatever the corpus size.
 */
async function analyzeInWorkers(
  chunks: AsyncIterable<WorkerChunk> | Iterable<WorkerChunk>,
  threads: number,
  options: CorpusAnalysisOptions,
  consume: (chunk: ChunkPostings) => void,
): Promise<void> {
  const { signal } = options;
  const idle: Worker[] = [];
  const wakeups: Array<() => void> = [];
  const current = new Map<Worker, (result: { postings?: ChunkPostings; error?: unknown }) => void>();
  const started = options.workers;
  if (started?.failure !== undefined) throw started.failure;
  const workers = started ? started.workers.slice(0, threads) : Array.from({ length: threads }, () => new Worker(workerUrl()));
  for (const worker of workers) worker.ref();
  const failAll = (error: unknown) => {
    for (const answer of current.values()) answer({ error });
    current.clear();
  };
  const onError = (error: unknown) => failAll(error);
  const onExit = (code: number) => failAll(signal?.aborted ? interruptedError() : new Error(`BM25 analysis worker exited with code ${code} before finishing`));
  const onMessage = workers.map((worker) => (message: ChunkReply) => {
    const answer = current.get(worker);
    // the reply to a request sent ahead: taken over below, from its own promise
    if (answer === undefined) return;
    current.delete(worker);
    idle.push(worker);
    wakeups.shift()?.();
    answer?.('error' in message ? { error: revive(message.error) } : { postings: message.postings });
  });
  // a worker sent a request ahead is busy until it answers it
  const ahead = started?.ahead ?? [];
  workers.forEach((worker, i) => {
    if (i >= ahead.length) idle.push(worker);
    worker.on('message', onMessage[i]!).on('error', onError).on('exit', onExit);
  });
  // an interrupt stops the workers at once; their jobs then fail with the interruption
  const onAbort = () => void Promise.all(workers.map((worker) => worker.terminate()));
  signal?.addEventListener('abort', onAbort, { once: true });

  const jobs: Job[] = [];
  let next = 0;
  /** The job of a request sent ahead to `worker`, which must be chunk `index` of this analysis. */
  const adopt = ({ request, reply }: AheadRequest, worker: Worker, chunk: WorkerChunk, index: number): Job => {
    const source = chunk.source;
    if (request.chunk !== index || !('stored' in request) || !('stored' in source) || request.stored.path !== source.stored.path || request.first !== source.first || request.end !== source.end) {
      throw new Error(`BM25 analysis: the request sent ahead to worker ${index} is not chunk ${index} of this corpus`);
    }
    const job: Job = { documents: chunk.documents, settled: Promise.resolve() };
    job.settled = reply.then((message) => {
      if ('lost' in message) {
        settle(job, { error: signal?.aborted ? interruptedError() : message.lost });
        wakeups.shift()?.();
        return;
      }
      settle(job, 'error' in message ? { error: revive(message.error) } : { postings: message.postings });
      idle.push(worker);
      wakeups.shift()?.();
    });
    return job;
  };
  /** The analysis succeeded and the caller keeps the workers. */
  let kept = false;
  const settle = (job: Job, result: { postings?: ChunkPostings; error?: unknown }) => {
    job.postings = result.postings;
    job.error = result.error ?? (result.postings === undefined ? new Error('BM25 analysis worker gave no result') : undefined);
    if (job.error === undefined && job.postings!.docs !== job.documents) {
      job.error = new Error(`BM25 analysis worker analyzed ${job.postings!.docs} documents of a chunk of ${job.documents}`);
    }
  };
  const consumeHead = async () => {
    const job = jobs.shift()!;
    await job.settled;
    if (job.error !== undefined) throw job.error;
    consume(job.postings!);
    options.onProgress?.(job.documents);
  };
  try {
    for await (const chunk of chunks) {
      throwIfAborted(signal);
      if (next < ahead.length) {
        jobs.push(adopt(ahead[next]!, workers[next]!, chunk, next));
        next++;
        continue;
      }
      while (jobs.length >= 2 * threads) await consumeHead();
      while (idle.length === 0) {
        if (jobs[0]?.postings !== undefined || jobs[0]?.error !== undefined) await consumeHead();
        else await new Promise<void>((wake) => wakeups.push(wake));
      }
      throwIfAborted(signal);
      const worker = idle.pop()!;
      const job: Job = { documents: chunk.documents, settled: Promise.resolve() };
      job.settled = new Promise<void>((done) =>
        current.set(worker, (result) => {
          settle(job, result);
          done();
          wakeups.shift()?.();
        }),
      );
      const request: ChunkRequest = { chunk: next++, expectedUnits: chunk.unitsPerWorker, ...chunk.source };
      worker.postMessage(request);
      jobs.push(job);
      while (jobs[0]?.postings !== undefined || jobs[0]?.error !== undefined) await consumeHead();
    }
    options.onAllSent?.();
    while (jobs.length > 0) await consumeHead();
    throwIfAborted(signal);
    kept = started !== undefined && options.keepWorkers === true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (kept) workers.forEach((worker, i) => worker.off('message', onMessage[i]!).off('error', onError).off('exit', onExit).unref());
    else await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** A worker's failure as this thread's error: a harness error keeps its code and exit code. */
function revive(failure: ChunkFailure): Error {
  const error = failure.code !== undefined && failure.exitCode !== undefined ? new HarnessError(failure.code, failure.exitCode as ExitCode, failure.message) : new Error(failure.message);
  if (failure.stack !== undefined) error.stack = failure.stack;
  return error;
}

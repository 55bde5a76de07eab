import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { Candidates, CorpusFileInfo, CorpusSource, Query, Retriever, TaskContext } from '../../core/types.js';
import { dataError, throwIfAborted, usageError } from '../../core/errors.js';
import { reasonirCacheDir } from '../../core/cache-dir.js';
import { log } from '../../core/log.js';
import { ANALYZER_VERSION } from '../analyzer/analyzer-version.js';
import type { AnalyzedIndex } from './gensim-dictionary.js';
import type { SearchAhead } from './analysis-worker.js';
import { AnalysisWorkers, stopWorkerAhead } from './analysis-workers.js';
import { CorruptIndexError, decodeIndexFile, indexCachePath, readIndexFile, writeIndexCache, type IndexCacheKey } from './index-cache.js';

export interface Bm25Options {
  /** BRIGHT: k1 = 0.9, b = 0.4. */
  k1?: number;
  b?: number;
  /** Where analyzed indexes are cached (default: reasonirCacheDir()); null disables the cache. */
  cacheDir?: string | null;
  /** Threads analyzing the corpus (default: every core). */
  threads?: number;
}

/**
 * BRIGHT's BM25 (`retrieval_bm25`): pyserini's Lucene English analyzer, gensim `Dictionary`, `LuceneBM25Model`
 * with BM25-weighted queries, float32 `SparseMatrixSimilarity` scores.
 *
 * The index stage loads the analyzed corpus from the cache (no document text is read) or builds it from the texts
 * as they stream. Each query yields an exact candidate subset rather than all N scores (see `subsetSize`), and the
 * ranked list is the same as from all scores. A large search ranks its queries on several threads (parallel-search.ts).
 */
/** BM25's index: the analyzed corpus (cached), and whether some document id sits on several rows. */
export interface Bm25Index {
  analyzed: AnalyzedIndex;
  duplicatedIds: boolean;
  /**
   * Read from its cache file: searched on this thread, however large. Its postings are shared as a built index's
   * are (the file lies on a SharedArrayBuffer), but fresh search workers would start, load the scoring modules and
   * weigh the common terms again while this thread's ranked lists bound the search anyway: leetcode-sized at 0.6
   * scale (248k documents x 142 queries, quiet machine, 3 alternating searches in one process) took 1.86 / 1.46 /
   * 1.21 s on workers against 1.46 / 1.50 / 1.10 s here.
   */
  cached?: boolean;
}

/** A corpus of fewer rows may be small enough to analyze inline: its workers are not started ahead. */
const PRESTART_ROWS = 1000;

/**
 * The ranking's modules (the query analyzer among them, ~35 ms of loading), loaded by the search or ahead of it by
 * `prepareSearch`, not with the retriever: on a cold run they would delay the prefetch that starts the analysis workers.
 */
function rankingModules() {
  return Promise.all([import('../analyzer/analyze.js'), import('./lucene-bm25-model.js'), import('./query-candidates.js'), import('./parallel-search.js')]);
}

/**
 * The analysis workers that rank the queries once the index is built: all but one (the rest stop then). This thread has
 * a core's work of its own meanwhile (the query vectors, the ranked lists and their scores, the cache file's hash),
 * and each worker that ranks loads the scoring modules and compiles the same code again. On 2 cores one ranking
 * worker took ~8 % less CPU from the analysis's end to the exit than two (14 alternating cold biology evals, load 9-12).
 */
function rankersOf(analyzers: AnalysisWorkers): Worker[] {
  return analyzers.workers.slice(0, Math.max(1, analyzers.workers.length - 1));
}

export class Bm25Retriever implements Retriever<Bm25Index> {
  readonly name = 'bm25' as const;
  readonly parameters: Record<string, unknown>;
  private readonly k1: number;
  private readonly b: number;
  private readonly cacheDir: string | null;
  private readonly threads: number;
  /**
   * The cache file read started by `prefetch`, for the index stage of that corpus, and the analysis workers it
   * starts when there is no such file.
   */
  private prefetched: { path: string; file: Promise<Buffer | null>; workers: AnalysisWorkers | null; texts: string | undefined } | null = null;
  /** The workers that analyzed `index`, idle and kept for its search (they are warm: no thread to start). */
  private analyzedBy: { index: AnalyzedIndex; workers: AnalysisWorkers; rankers: Worker[] } | null = null;
  /** The queries told by `prepareSearch`, and their token lists once analyzed (null: that failed; search retries). */
  private prepared: { queries: readonly Query[]; tokens: Promise<string[][] | null> } | null = null;
  /** What the stages left running when they returned, for `settled`: each one never rejects. */
  private background: Promise<unknown>[] = [];

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 0.9;
    this.b = options.b ?? 0.4;
    if (!Number.isFinite(this.k1) || this.k1 < 0) throw usageError('bm25_k1', `BM25 k1 must be a number >= 0, got ${this.k1}`);
    if (!Number.isFinite(this.b) || this.b < 0 || this.b > 1) throw usageError('bm25_b', `BM25 b must be in [0, 1], got ${this.b}`);
    this.cacheDir = options.cacheDir === undefined ? reasonirCacheDir() : options.cacheDir;
    this.threads = options.threads ?? os.availableParallelism();
    this.parameters = {
      k1: this.k1,
      b: this.b,
      analyzer: ANALYZER_VERSION,
      model: 'gensim LuceneBM25Model, BM25-weighted queries, float32 SparseMatrixSimilarity',
    };
  }

  settled(): Promise<void> {
    const running = this.background;
    this.background = [];
    return Promise.all(running).then(() => undefined);
  }

  /**
   * Loads the ranking's modules and analyzes the queries now: the index stage then mostly waits (for the analysis
   * workers' first chunks, or for the cache file's read), and the search starts from the query vectors at once.
   */
  prepareSearch(queries: readonly Query[]): void {
    this.prepared = {
      queries,
      tokens: rankingModules().then(
        ([{ analyzeAll }]) => analyzeAll(queries.map((query) => query.text)),
        () => null,
      ),
    };
  }

  /**
   * Starts reading the corpus's cached index, if any, while the task is still loading (checked in `index`). Told the
   * same corpus again (eval tells it before its other modules load, then the task's loader does), it goes on with what
   * it started; told another, what it started for the first stops.
   */
  prefetch(corpus: CorpusFileInfo): void {
    if (this.cacheDir === null) return;
    const path = indexCachePath(this.cacheDir, this.cacheKey(corpus.sha256, corpus.rows));
    // the chunks sent ahead name the file they are read from: the analysis adopts them only from that file
    if (this.prefetched?.path === path && this.prefetched.texts === corpus.stored?.path) return;
    void this.prefetched?.workers?.terminate();
    const file = readIndexFile(path);
    // a failed read is read again, and reported, by the index stage; a run that stops before it reports nothing
    file.catch(() => undefined);
    // no index to read: the workers start now, while the ids decode synchronously (a corpus that proves small enough
    // is analyzed inline, and they stop)
    const workers = this.threads > 1 && corpus.rows >= PRESTART_ROWS && !existsSync(path) ? new AnalysisWorkers(this.threads) : null;
    // each worker gets its first row groups at once: it analyzes them as soon as it has booted
    if (workers !== null && corpus.stored !== undefined) workers.sendAhead(corpus.stored);
    this.prefetched = { path, file, workers, texts: corpus.stored?.path };
  }

  async index(corpus: CorpusSource, context: TaskContext): Promise<Bm25Index> {
    if (corpus.ids.length === 0) {
      throw dataError('empty_corpus', `task ${context.task}: the corpus has no documents, so BM25 has nothing to rank`);
    }
    try {
      // an id on several rows collapses to its last row's score, which may be a zero the subset would leave out
      return { ...(await this.loadOrBuild(corpus, context)), duplicatedIds: corpus.ids.groups !== null };
    } finally {
      // the worker eval started ahead, if this stage's workers did not take it (a cached index, an inline analysis)
      this.stopping(stopWorkerAhead());
    }
  }

  async *search(index: Bm25Index, queries: readonly Query[], depth: number, context: TaskContext): AsyncIterable<Candidates> {
    const [{ analyze }, { LuceneBm25Model }, { QueryCandidates, subsetSize }, { searchesInParallel, searchInWorkers, startSearchWorkers }] = await rankingModules();
    const prepared = this.prepared?.queries === queries ? await this.prepared.tokens.catch(() => null) : null;
    this.prepared = null;
    const tokensOf = (i: number) => prepared?.[i] ?? analyze(queries[i]!.text);
    const model = new LuceneBm25Model(index.analyzed, this.k1, this.b);
    const { numDocs } = index.analyzed;
    const keepOf = (query: Query) => (index.duplicatedIds ? null : subsetSize(query, depth, numDocs));
    const analyzedBy = this.analyzedBy?.index === index.analyzed ? this.analyzedBy : null;
    if (analyzedBy !== null) {
      this.analyzedBy = null;
      // a search large enough to repay fresh workers gets them: the analysis workers' memory (their token tables,
      // ~300 MB more on leetcode-sized) is freed only by stopping them
      const large = searchesInParallel(index.analyzed, queries.length, this.threads);
      if (!large && searchesInParallel(index.analyzed, queries.length, this.threads, true)) {
        yield* searchInWorkers(model, queries, keepOf, analyzedBy.rankers, { tokensOf, signal: context.signal, stopping: this.stopping });
        return;
      }
      await analyzedBy.workers.terminate();
    }
    if (index.cached !== true && searchesInParallel(index.analyzed, queries.length, this.threads)) {
      yield* searchInWorkers(model, queries, keepOf, startSearchWorkers(model, this.threads), { tokensOf, signal: context.signal, stopping: this.stopping });
      return;
    }
    const candidates = new QueryCandidates(model);
    // the pool prefaults the selection's memory while this thread vectorizes, and each query's new weight blocks
    // while it scores the queries before it
    const selection = candidates.prefault(numDocs);
    selection.catch(() => undefined);
    const vectors = queries.map((_, i) => model.vectorize(tokensOf(i)));
    const prefaulted = model.prefaultBlocks(vectors);
    for (const ready of prefaulted) ready.catch(() => undefined);
    await selection;
    for (let i = 0; i < queries.length; i++) {
      throwIfAborted(context.signal);
      await prefaulted[i];
      yield candidates.of(queries[i]!.id, vectors[i]!, keepOf(queries[i]!));
    }
  }

  /** A search's threads stop while the caller goes on with its candidates (a thread's teardown takes ~10-20 ms). */
  private readonly stopping = (stopped: Promise<unknown>) => {
    this.background.push(stopped);
  };

  private async loadOrBuild(corpus: CorpusSource, context: TaskContext): Promise<{ analyzed: AnalyzedIndex; cached: boolean }> {
    // an earlier index stage's cache write lands first: this one may read that very file
    await this.settled();
    const key = this.cacheKey(context.dataset.corpusSha256, corpus.ids.length);
    const cachePath = this.cacheDir === null ? null : indexCachePath(this.cacheDir, key);
    const prefetched = this.prefetched?.path === cachePath ? this.prefetched : null;
    // workers started for another corpus's build are not this one's, nor those kept from an earlier build
    if (this.prefetched !== null && prefetched === null) await this.prefetched.workers?.terminate();
    this.prefetched = null;
    await this.analyzedBy?.workers.terminate();
    this.analyzedBy = null;
    const workers = prefetched?.workers ?? undefined;
    if (cachePath !== null) {
      try {
        // a prefetch that failed is read again here, so that its error is this stage's
        const file = await (prefetched !== null ? prefetched.file.catch(() => readIndexFile(cachePath)) : readIndexFile(cachePath));
        const cached = decodeIndexFile(file, key);
        if (cached !== null) {
          await workers?.terminate();
          return { analyzed: cached, cached: true };
        }
      } catch (error) {
        if (!(error instanceof CorruptIndexError)) {
          await workers?.terminate();
          throw error;
        }
        log.warn(`the BM25 index cache ${cachePath} is unusable (${error.message}); rebuilding it`);
      }
    }
    // without a prefetch (a corpus in memory) the workers start here, as workers this stage can keep for the search
    const analyzers = workers ?? (this.threads > 1 && corpus.ids.length >= PRESTART_ROWS ? new AnalysisWorkers(this.threads) : undefined);
    const index = await this.build(corpus, context, analyzers);
    const { sendIndex } = await import('./parallel-search.js');
    if (analyzers !== undefined) {
      const rankers = rankersOf(analyzers);
      for (const idle of analyzers.workers.slice(rankers.length)) this.stopping(idle.terminate().catch(() => undefined));
      sendIndex(rankers, index, this.k1, this.b);
      this.analyzedBy = { index, workers: analyzers, rankers };
    }
    if (cachePath !== null) {
      // written while the search ranks (its fsync alone was ~50 ms with every thread idle): the file appears whole by
      // rename or not at all, so a run stopped before `settled` leaves only a temporary file, which the next run removes
      this.background.push(
        writeIndexCache(cachePath, key, index).catch((error: unknown) => {
          log.warn(`could not write the BM25 index cache ${cachePath} (${error instanceof Error ? error.message : String(error)}); the next run will analyze again`);
        }),
      );
    }
    return { analyzed: index, cached: false };
  }

  private cacheKey(corpusSha256: string, numDocs: number): IndexCacheKey {
    return { corpusSha256, analyzerVersion: ANALYZER_VERSION, numDocs };
  }

  /**
   * Analyzes the texts as they stream from the corpus, folding each chunk into the index as it arrives (on `workers`
   * when they were started ahead: kept running for the search once the index is built, stopped otherwise).
   */
  private async build(corpus: CorpusSource, context: TaskContext, workers?: AnalysisWorkers): Promise<AnalyzedIndex> {
    const { signal } = context;
    // the analysis workers and the index builder load only here: a run served from the cache never needs them
    const [{ analyzeCorpus }, { AnalyzedIndexBuilder, GENSIM_PRUNE_AT }] = await Promise.all([import('./parallel-analysis.js'), import('./gensim-dictionary.js')]);
    const progress = context.progress(`analyse ${context.task} documents (BM25)`, corpus.ids.length, 'items');
    try {
      const builder = new AnalyzedIndexBuilder(GENSIM_PRUNE_AT, corpus.ids.length, { threads: this.threads });
      // the workers that will rank load the search side once their last chunk is answered, while the others finish
      const onAllSent = () => {
        if (workers !== undefined) for (const ranker of rankersOf(workers)) ranker.postMessage({ searchAhead: true } satisfies SearchAhead);
      };
      await analyzeCorpus(
        corpus,
        { threads: this.threads, documents: corpus.ids.length, workers, keepWorkers: true, signal, onProgress: (documents) => progress.increment(documents), onAllSent },
        (chunk) => builder.add(chunk),
      );
      throwIfAborted(signal);
      // the workers, idle once the analysis is over, copy the postings into place while this thread makes the rest
      const index = await builder.finishInParallel(workers !== undefined && workers.failure === undefined ? workers.workers : []);
      if (index.numDocs !== corpus.ids.length) {
        throw dataError('corpus_texts', `task ${context.task}: the corpus has ${corpus.ids.length} ids but ${index.numDocs} texts`);
      }
      return index;
    } catch (error) {
      await workers?.terminate();
      throw error;
    } finally {
      progress.stop();
    }
  }
}

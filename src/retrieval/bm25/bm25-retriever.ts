import os from 'node:os';
import type { Candidates, Query, RetrievalInput, Retriever } from '../../core/types.js';
import { dataError, throwIfAborted, usageError } from '../../core/errors.js';
import { reasonirCacheDir } from '../../core/cache-dir.js';
import { log } from '../../core/log.js';
import { startProgress } from '../../core/progress.js';
import { duplicateIdRows } from '../../eval/duplicate-ids.js';
import { analyze, ANALYZER_VERSION } from '../analyzer/analyze.js';
import { analyzeCorpus } from './parallel-analysis.js';
import { AnalyzedIndexBuilder, type AnalyzedIndex } from './gensim-dictionary.js';
import { CorruptIndexError, indexCachePath, readIndexCache, writeIndexCache, type IndexCacheKey } from './index-cache.js';
import { LuceneBm25Model } from './lucene-bm25-model.js';

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
 * Each query yields an exact candidate subset rather than all N scores: every document with a nonzero score,
 * plus the first `depth + |excluded ids|` zero-score documents in row order, listed in ascending row order.
 * Scores are never negative, so any document left out scores 0 and sits behind at least `depth` non-excluded
 * zero-score documents that come earlier in row order; the ranked list is therefore the same as from all scores.
 */
export class Bm25Retriever implements Retriever {
  readonly name = 'bm25' as const;
  readonly parameters: Record<string, unknown>;
  private readonly k1: number;
  private readonly b: number;
  private readonly cacheDir: string | null;
  private readonly threads: number;

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

  async *retrieve(input: RetrievalInput): AsyncIterable<Candidates> {
    if (input.corpus.texts.length === 0) {
      throw dataError('empty_corpus', `task ${input.task}: the corpus has no documents, so BM25 has nothing to rank`);
    }
    const index = await this.loadOrBuildIndex(input);
    const model = new LuceneBm25Model(index, this.k1, this.b);
    const scores = new Float32Array(index.numDocs);
    // an id on several rows collapses to its last row's score, which may be a zero the subset would leave out
    const duplicatedIds = duplicateIdRows(input.corpus.ids) !== null;
    for (const query of input.queries) {
      throwIfAborted(input.signal);
      model.score(model.vectorize(analyze(query.text)), scores);
      yield duplicatedIds ? { queryId: query.id, docIndices: null, scores: scores.slice() } : candidateSubset(query, scores, input.depth);
    }
  }

  private async loadOrBuildIndex(input: RetrievalInput): Promise<AnalyzedIndex> {
    const key: IndexCacheKey = {
      corpusSha256: input.corpusSha256,
      analyzerVersion: ANALYZER_VERSION,
      numDocs: input.corpus.texts.length,
    };
    const cachePath = this.cacheDir === null ? null : indexCachePath(this.cacheDir, key);
    if (cachePath !== null) {
      try {
        const cached = await readIndexCache(cachePath, key);
        if (cached !== null) return cached;
      } catch (error) {
        if (!(error instanceof CorruptIndexError)) throw error;
        log.warn(`the BM25 index cache ${cachePath} is unusable (${error.message}); rebuilding it`);
      }
    }
    const index = await this.buildIndex(input);
    if (cachePath !== null) {
      try {
        await writeIndexCache(cachePath, key, index);
      } catch (error) {
        log.warn(`could not write the BM25 index cache ${cachePath} (${error instanceof Error ? error.message : String(error)}); the next run will analyze again`);
      }
    }
    return index;
  }

  private async buildIndex(input: RetrievalInput): Promise<AnalyzedIndex> {
    let units = 0;
    for (const text of input.corpus.texts) units += text.length;
    const progress = startProgress(`analyse ${input.task} documents (BM25)`, units, 'bytes');
    try {
      const builder = new AnalyzedIndexBuilder();
      await analyzeCorpus(
        input.corpus.texts,
        { threads: this.threads, signal: input.signal, onProgress: (done) => progress.increment(done) },
        (chunk) => builder.add(chunk),
      );
      throwIfAborted(input.signal);
      return builder.finish();
    } finally {
      progress.stop();
    }
  }
}

function candidateSubset(query: Query, scores: Float32Array, depth: number): Candidates {
  const zeroQuota = depth + new Set(query.excludedIds).size;
  let count = 0;
  let zeros = 0;
  for (let doc = 0; doc < scores.length; doc++) {
    if (scores[doc] !== 0) count++;
    else if (zeros < zeroQuota) {
      zeros++;
      count++;
    }
  }
  const docIndices = new Uint32Array(count);
  const subset = new Float32Array(count);
  let at = 0;
  zeros = 0;
  for (let doc = 0; doc < scores.length; doc++) {
    const score = scores[doc]!;
    if (score !== 0 || zeros++ < zeroQuota) {
      docIndices[at] = doc;
      subset[at++] = score;
    }
  }
  return { queryId: query.id, docIndices, scores: subset };
}

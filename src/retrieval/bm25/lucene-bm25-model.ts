import type { WasmMemory } from '../../core/wasm-module.js';
import type { AnalyzedIndex } from './gensim-dictionary.js';
import { glibcLog } from './glibc-log.js';
import { PostingScores } from './posting-scores.js';

/** Bytes of weight blocks prefaulted per thread-pool job, at least (the first query's excepted). */
const PREFAULT_JOB = 256 * 1024;

/** A text's BM25 vector (gensim `model[dictionary.doc2bow(tokens)]`), terms ascending. */
export interface BowVector {
  termIds: Uint32Array;
  termFrequencies: Uint32Array;
  /**
   * Each term's idf (float64), as its document weights use it: carried with the vector so that a search worker never
   * computes one (an exact logarithm costs ~20 us while its code is still cold, and a query has ~100 distinct dfs).
   */
  idfs: Float64Array;
  /** gensim's float64 weights. */
  weights: Float64Array;
  /** The same rounded to float32, as `SparseMatrixSimilarity` stores them. */
  weights32: Float32Array;
  /** In-vocabulary tokens: the text length used in its own length normalisation. */
  length: number;
}

/**
 * gensim `LuceneBM25Model(dictionary, k1, b)` with `SparseMatrixSimilarity(normalize_queries=False,
 * normalize_documents=False)`: idf = ln(N + 1) - ln(df + 0.5); a text's weight for term t is
 * idf * (tf / (tf + k1 * ((1 - b) + (b * len) / avgdl))) in float64, in that operation order, for documents and
 * queries alike; the index holds float32 weights and a score is the float32 sum over the document's terms in
 * ascending term id.
 *
 * A term's idf and document weights are computed the first time a query uses it, with the same formula: queries
 * touch a fraction of the vocabulary, so a cached index is scored without weighting every posting first.
 */
export class LuceneBm25Model {
  readonly avgdl: number;
  /**
   * The document scores and the document weights (float32) of the terms queries have used, in WebAssembly memory
   * (posting-scores.ts), each term's parallel to its postings, laid end to end in the order the terms were first
   * used: only the pages written are ever touched, densely from the start (slices at the terms' own posting offsets
   * would scatter the writes over fresh pages, each first write to one costing more than the weights written on it).
   * Made at the first scoring use: a model that only vectorizes (the main thread while workers rank) never sets up
   * the module, its memory or the documents' norms (~10-30 ms there, between the index and the first query sent).
   */
  private made: PostingScores | undefined;
  /** Where each used term's block starts in `postings`. */
  private readonly weightsStart = new Map<number, number>();
  /** Blocks laid out ahead by `prefaultBlocks`, weighed when their term is first scored. */
  private readonly laidOut = new Map<number, number>();
  /**
   * ln(N + 1), computed with the first idf: a search worker computes none (query vectors carry their idfs), and so
   * never sets up the logarithm's WebAssembly module.
   */
  private logDocs: number | undefined;
  /**
   * Most terms share a small df, so each distinct df costs one (slow, exact) logarithm; nothing is kept per term
   * (an array over the vocabulary would be ~2 MB of fresh memory for the few thousand terms queries use).
   */
  private readonly logDf = new Map<number, number>();

  /** `memory`: a WebAssembly memory to score in rather than a fresh one (see PostingScores). */
  constructor(
    readonly index: AnalyzedIndex,
    readonly k1: number,
    readonly b: number,
    private readonly memory?: WasmMemory,
  ) {
    this.avgdl = index.cfSum / index.numDocs;
  }

  private get postings(): PostingScores {
    if (this.made === undefined) {
      this.made = new PostingScores(this.index.numDocs, this.memory);
      // each document's length-normalisation part, computed exactly as gensim does per text (lengthNorm's expression)
      this.made.fillNorms(this.index.docLengths, this.k1, this.b, this.avgdl);
    }
    return this.made;
  }

  /** gensim's idf of term `id` (float64). */
  idf(id: number): number {
    const df = this.index.df[id]!;
    let log = this.logDf.get(df);
    if (log === undefined) this.logDf.set(df, (log = glibcLog(df + 0.5)));
    this.logDocs ??= glibcLog(this.index.numDocs + 1.0);
    return this.logDocs - log;
  }

  /** k1 * ((1 - b) + (b * len) / avgdl), the text-dependent part of the tf saturation (PostingScores.fillNorms too). */
  private lengthNorm(length: number): number {
    return this.k1 * (1 - this.b + (this.b * length) / this.avgdl);
  }

  termId(term: string): number | undefined {
    return this.index.vocabulary.id(term);
  }

  /** `model[dictionary.doc2bow(tokens)]`: out-of-vocabulary tokens are dropped and do not count in the length. */
  vectorize(tokens: readonly string[]): BowVector {
    // the in-vocabulary ids sorted, then counted run by run (typed arrays: no Map per query)
    const ids = new Uint32Array(tokens.length);
    let length = 0;
    // by index: for-of allocated an iterator result per token before the optimizing compiler took the loop
    for (let i = 0; i < tokens.length; i++) {
      const id = this.index.vocabulary.id(tokens[i]!);
      if (id !== undefined) ids[length++] = id;
    }
    const sorted = ids.subarray(0, length).sort();
    let distinct = 0;
    for (let i = 0; i < length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
    const termIds = new Uint32Array(distinct);
    const termFrequencies = new Uint32Array(distinct);
    for (let i = 0, k = -1; i < length; i++) {
      if (i === 0 || sorted[i] !== sorted[i - 1]) termIds[++k] = sorted[i]!;
      termFrequencies[k]!++;
    }
    const norm = this.lengthNorm(length);
    const idfs = new Float64Array(termIds.length);
    const weights = new Float64Array(termIds.length);
    for (let i = 0; i < termIds.length; i++) {
      const tf = termFrequencies[i]!;
      idfs[i] = this.idf(termIds[i]!);
      weights[i] = idfs[i]! * (tf / (tf + norm));
    }
    return { termIds, termFrequencies, idfs, weights, weights32: Float32Array.from(weights), length };
  }

  /**
   * Lays out the blocks of every term of `vectors` without one, in the order scoring them in turn makes them, and has
   * the thread pool prefault each vector's new blocks (PostingScores.prefault): on the 2-core VM the first touch of a
   * fresh page costs ~6-15 us, and the weights of a biology-sized search are ~1,700 fresh pages. `score(vectors[i])`
   * may run once the promise i returned has resolved (and those before it), not sooner: the pool writes into those
   * blocks until then. Every promise is settled or handled by the caller.
   */
  prefaultBlocks(vectors: readonly BowVector[]): Promise<void>[] {
    const { postings, weightsStart, laidOut } = this;
    const { termOffsets } = this.index;
    const ranges = vectors.map((vector) => {
      const from = postings.end;
      const { termIds } = vector;
      for (let i = 0; i < termIds.length; i++) {
        const id = termIds[i]!;
        if (!weightsStart.has(id) && !laidOut.has(id)) laidOut.set(id, postings.block(termOffsets[id + 1]! - termOffsets[id]!, false));
      }
      return [from, postings.end] as const;
    });
    // one growth to the bytes the blocks take (doubling would leave up to half the memory unused, yet counted as
    // external memory by V8's heap limits), before the pool writes into them
    postings.growToEnd();
    // the first vector's blocks alone (this thread waits for them), then jobs of PREFAULT_JOB bytes or more: each
    // randomFill call costs this thread ~25 us
    const ready: Promise<void>[] = [];
    for (let first = 0, i = 0; i < ranges.length; i++) {
      const from = ranges[first]![0];
      const to = ranges[i]![1];
      if (i === 0 || to - from >= PREFAULT_JOB || i === ranges.length - 1) {
        const done = postings.prefault(from, to);
        while (first <= i) ready[first++] = done;
      }
    }
    return ready;
  }

  /**
   * Scores every document; the array returned is valid until the next call. Query terms are visited in ascending
   * id, so each document's float32 accumulator receives its terms in ascending id, exactly as scipy's sparse
   * product sums a document row; each product and each partial sum is rounded to float32.
   */
  score(query: BowVector): Float32Array {
    const { postings } = this;
    postings.clearScores();
    const { termOffsets, postingDocs } = this.index;
    const { termIds, weights32 } = query;
    for (let i = 0; i < termIds.length; i++) {
      const start = termOffsets[termIds[i]!]!;
      const count = termOffsets[termIds[i]! + 1]! - start;
      const at = this.weightsAt(query, i, start, count);
      // two dense terms in a row: their products added in that order, in one pass over the scores
      if (i + 1 < termIds.length && postings.isDense(count)) {
        const nextStart = termOffsets[termIds[i + 1]!]!;
        const nextCount = termOffsets[termIds[i + 1]! + 1]! - nextStart;
        if (postings.isDense(nextCount)) {
          postings.addDenseTwo(at, weights32[i]!, this.weightsAt(query, i + 1, nextStart, nextCount), weights32[i + 1]!);
          i++;
          continue;
        }
      }
      postings.add(at, count, weights32[i]!, postingDocs, start);
    }
    return postings.scores;
  }

  /** Where the block of `query`'s term i (postings [start, start + count)) starts, its weights computed on first use. */
  private weightsAt(query: BowVector, i: number, start: number, count: number): number {
    const id = query.termIds[i]!;
    let at = this.weightsStart.get(id);
    if (at === undefined) {
      const { postingDocs, postingTfs } = this.index;
      const laid = this.laidOut.get(id);
      at = laid === undefined ? this.postings.weigh(count, query.idfs[i]!, postingDocs, postingTfs, start) : this.postings.weighInto(laid, count, query.idfs[i]!, postingDocs, postingTfs, start);
      this.weightsStart.set(id, at);
    }
    return at;
  }
}

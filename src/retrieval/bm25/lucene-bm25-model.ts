import type { AnalyzedIndex } from './gensim-dictionary.js';
import { glibcLog } from './glibc-log.js';

/** A text's BM25 vector (gensim `model[dictionary.doc2bow(tokens)]`), terms ascending. */
export interface BowVector {
  termIds: Uint32Array;
  termFrequencies: Uint32Array;
  /** gensim's float64 weights. */
  weights: Float64Array;
  /** The same rounded to float32, as `SparseMatrixSimilarity` stores them. */
  weights32: Float32Array;
  /** In-vocabulary tokens: the text length used in its own length normalisation. */
  length: number;
}

/** What scoring reads: the analyzed corpus, with its terms as a Vocabulary (see vocabulary.ts). */
export interface ScoringIndex extends Omit<AnalyzedIndex, 'cf'> {
  /** gensim's total of the cfs (float64, summed in id order): all that BM25 reads of them, for avgdl. */
  cfSum: number;
}

export function scoringIndex(index: AnalyzedIndex): ScoringIndex {
  const { cf, ...rest } = index;
  let cfSum = 0;
  for (let id = 0; id < cf.length; id++) cfSum += cf[id]!; // by index: for-of allocated per term
  return { ...rest, cfSum };
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
   * Document weights (float32) of the terms queries have used, each term's parallel to its postings, laid end to end
   * in the order the terms were first used. The array is as long as all postings, but only its pages written are
   * ever touched, densely from the start: slices at the terms' own posting offsets would scatter the writes over
   * fresh pages (each first write to one costs more than the weights written on it), and an array per term cost
   * ~6 µs to allocate, a few thousand times a run.
   */
  private readonly weights: Float32Array;
  private weightsUsed = 0;
  /** Where each used term's weights start in `weights`. */
  private readonly weightsStart = new Map<number, number>();
  /** Each document's length-normalisation part, computed exactly as gensim does per text. */
  private readonly lengthNorms: Float64Array;
  private readonly logDocs: number;
  /**
   * Most terms share a small df, so each distinct df costs one (slow, exact) logarithm; nothing is kept per term
   * (an array over the vocabulary would be ~2 MB of fresh memory for the few thousand terms queries use).
   */
  private readonly logDf = new Map<number, number>();

  constructor(
    readonly index: ScoringIndex,
    readonly k1: number,
    readonly b: number,
  ) {
    this.avgdl = index.cfSum / index.numDocs;
    this.logDocs = glibcLog(index.numDocs + 1.0);
    const { docLengths } = index;
    this.lengthNorms = new Float64Array(docLengths.length);
    for (let doc = 0; doc < docLengths.length; doc++) this.lengthNorms[doc] = this.lengthNorm(docLengths[doc]!);
    this.weights = new Float32Array(index.postingDocs.length);
  }

  /** gensim's idf of term `id` (float64). */
  idf(id: number): number {
    const df = this.index.df[id]!;
    let log = this.logDf.get(df);
    if (log === undefined) this.logDf.set(df, (log = glibcLog(df + 0.5)));
    return this.logDocs - log;
  }

  /** Where term `id`'s document weights start in `weights`, computed at its first use. */
  private weightsOf(id: number): number {
    let at = this.weightsStart.get(id);
    if (at === undefined) {
      const start = this.index.termOffsets[id]!;
      const count = this.index.termOffsets[id + 1]! - start;
      at = this.weightsUsed;
      this.weightsUsed += count;
      this.weightsStart.set(id, at);
      weighPostings(this.weights, at, count, this.idf(id), this.index.postingTfs, this.index.postingDocs, start, this.lengthNorms);
    }
    return at;
  }

  /** k1 * ((1 - b) + (b * len) / avgdl), the text-dependent part of the tf saturation. */
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
    for (const token of tokens) {
      const id = this.index.vocabulary.id(token);
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
    const weights = new Float64Array(termIds.length);
    for (let i = 0; i < termIds.length; i++) {
      const tf = termFrequencies[i]!;
      weights[i] = this.idf(termIds[i]!) * (tf / (tf + norm));
    }
    return { termIds, termFrequencies, weights, weights32: Float32Array.from(weights), length };
  }

  /**
   * Scores every document into `scores` (zeroed first). Query terms are visited in ascending id, so each
   * document's float32 accumulator receives its terms in ascending id, exactly as scipy's sparse product sums
   * a document row; float32 stores round each product and each partial sum.
   */
  score(query: BowVector, scores: Float32Array): void {
    scores.fill(0);
    const { termOffsets, postingDocs } = this.index;
    for (let i = 0; i < query.termIds.length; i++) {
      const id = query.termIds[i]!;
      const start = termOffsets[id]!;
      addPostings(scores, postingDocs, start, termOffsets[id + 1]! - start, this.weights, this.weightsOf(id), query.weights32[i]!);
    }
  }
}

/*
 * The two loops over postings are functions of their own, small and with every branch taken on their first call:
 * the process runs them once per query term for ~100 queries, so most of their time is spent before and while the
 * optimizing compiler works on them, and a large method, or one that deoptimizes on a path its first call had not
 * reached yet, is compiled several times over meanwhile.
 */

/** A term's `count` document weights, idf * (tf / (tf + norm of the document)), rounded to float32, at `weights[at]`. */
function weighPostings(weights: Float32Array, at: number, count: number, idf: number, postingTfs: ScoringIndex['postingTfs'], postingDocs: ScoringIndex['postingDocs'], start: number, norms: Float64Array): void {
  for (let i = 0; i < count; i++) {
    const tf = postingTfs[start + i]!;
    weights[at + i] = idf * (tf / (tf + norms[postingDocs[start + i]!]!));
  }
}

/**
 * Adds one query term's float32 products to its documents' float32 scores (one rounded product, one rounded sum):
 * its `count` postings from `start`, their weights from `weights[at]`.
 */
function addPostings(scores: Float32Array, postingDocs: ScoringIndex['postingDocs'], start: number, count: number, weights: Float32Array, at: number, queryWeight: number): void {
  // the odd postings first, so that the unrolled loop is not the only one with type feedback when it is optimized
  let j = 0;
  for (; j < (count & 3); j++) {
    const doc = postingDocs[start + j]!;
    scores[doc] = scores[doc]! + Math.fround(weights[at + j]! * queryWeight);
  }
  // unrolled by four: about a third faster here
  for (; j < count; j += 4) {
    const d0 = postingDocs[start + j]!;
    const d1 = postingDocs[start + j + 1]!;
    const d2 = postingDocs[start + j + 2]!;
    const d3 = postingDocs[start + j + 3]!;
    const w = at + j;
    scores[d0] = scores[d0]! + Math.fround(weights[w]! * queryWeight);
    scores[d1] = scores[d1]! + Math.fround(weights[w + 1]! * queryWeight);
    scores[d2] = scores[d2]! + Math.fround(weights[w + 2]! * queryWeight);
    scores[d3] = scores[d3]! + Math.fround(weights[w + 3]! * queryWeight);
  }
}

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

/**
 * gensim `LuceneBM25Model(dictionary, k1, b)` with `SparseMatrixSimilarity(normalize_queries=False,
 * normalize_documents=False)`: idf = ln(N + 1) - ln(df + 0.5); a text's weight for term t is
 * idf * (tf / (tf + k1 * ((1 - b) + (b * len) / avgdl))) in float64, in that operation order, for documents and
 * queries alike; the index holds float32 weights and a score is the float32 sum over the document's terms in
 * ascending term id.
 */
export class LuceneBm25Model {
  readonly avgdl: number;
  readonly idf: Float64Array;
  /** Document weights (float32), parallel to the index postings. */
  readonly postingWeights: Float32Array;
  private readonly termIds: Map<string, number>;

  constructor(
    readonly index: AnalyzedIndex,
    readonly k1: number,
    readonly b: number,
  ) {
    let numTokens = 0;
    for (const count of index.cf) numTokens += count;
    this.avgdl = numTokens / index.numDocs;
    this.idf = new Float64Array(index.terms.length);
    const logDocs = glibcLog(index.numDocs + 1.0);
    // most terms share a small df, so each distinct df costs one (slow, exact) logarithm
    const logDf = new Map<number, number>();
    for (let id = 0; id < index.terms.length; id++) {
      const df = index.df[id]!;
      let log = logDf.get(df);
      if (log === undefined) logDf.set(df, (log = glibcLog(df + 0.5)));
      this.idf[id] = logDocs - log;
    }
    this.termIds = new Map(index.terms.map((term, id) => [term, id]));

    const { termOffsets, postingDocs, postingTfs, docLengths } = index;
    this.postingWeights = new Float32Array(postingDocs.length);
    // one length-normalisation denominator part per document, computed exactly as gensim does per text
    const lengthNorm = new Float64Array(docLengths.length);
    for (let doc = 0; doc < docLengths.length; doc++) lengthNorm[doc] = this.lengthNorm(docLengths[doc]!);
    for (let id = 0; id < index.terms.length; id++) {
      const idf = this.idf[id]!;
      for (let p = termOffsets[id]!; p < termOffsets[id + 1]!; p++) {
        const tf = postingTfs[p]!;
        this.postingWeights[p] = idf * (tf / (tf + lengthNorm[postingDocs[p]!]!));
      }
    }
  }

  /** k1 * ((1 - b) + (b * len) / avgdl), the text-dependent part of the tf saturation. */
  private lengthNorm(length: number): number {
    return this.k1 * (1 - this.b + (this.b * length) / this.avgdl);
  }

  termId(term: string): number | undefined {
    return this.termIds.get(term);
  }

  /** `model[dictionary.doc2bow(tokens)]`: out-of-vocabulary tokens are dropped and do not count in the length. */
  vectorize(tokens: readonly string[]): BowVector {
    const counts = new Map<number, number>();
    for (const token of tokens) {
      const id = this.termIds.get(token);
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const termIds = Uint32Array.from(counts.keys()).sort();
    const termFrequencies = termIds.map((id) => counts.get(id)!);
    let length = 0;
    for (const tf of termFrequencies) length += tf;
    const norm = this.lengthNorm(length);
    const weights = new Float64Array(termIds.length);
    for (let i = 0; i < termIds.length; i++) {
      const tf = termFrequencies[i]!;
      weights[i] = this.idf[termIds[i]!]! * (tf / (tf + norm));
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
    const weights = this.postingWeights;
    for (let i = 0; i < query.termIds.length; i++) {
      const id = query.termIds[i]!;
      const queryWeight = query.weights32[i]!;
      const end = termOffsets[id + 1]!;
      for (let p = termOffsets[id]!; p < end; p++) {
        const doc = postingDocs[p]!;
        scores[doc] = scores[doc]! + Math.fround(weights[p]! * queryWeight);
      }
    }
  }
}

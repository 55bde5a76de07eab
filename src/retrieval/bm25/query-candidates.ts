import type { Candidates, Query } from '../../core/types.js';
import { BestRows } from './best-rows.js';
import type { BowVector, LuceneBm25Model } from './lucene-bm25-model.js';

/**
 * One query's candidates from its BM25 vector, as the retriever hands them over: every score, or the exact subset
 * of the best `keep` rows. The retriever's own loop and the search workers run this same code, so a query gets the
 * same candidates on any thread. The model's score array and the histogram are reused from query to query.
 */
export class QueryCandidates {
  private readonly best = new BestRows();

  constructor(private readonly model: LuceneBm25Model) {}

  /** The selection's memory for `numDocs` rows, prefaulted from the thread pool (BestRows.prefault): `of` waits for it. */
  prefault(numDocs: number): Promise<void> {
    return this.best.prefault(numDocs);
  }

  /** `keep` null: every document's score (a copy); otherwise the subset of `subsetSize` rows. */
  of(queryId: string, vector: BowVector, keep: number | null): Candidates {
    const scores = this.model.score(vector);
    if (keep === null) return { queryId, docIndices: null, scores: scores.slice() };
    const { rows, scores: subset } = this.best.select(scores, keep);
    return { queryId, docIndices: rows, scores: subset };
  }
}

/**
 * How many of the best rows a query's subset keeps: `depth + (number of excluded ids listed)`, in BRIGHT's ranking
 * order (score descending, ties in row order), listed in ascending row order. A document of the final top `depth`
 * has at most `depth - 1` kept and every excluded document ahead of it, so it is in the subset. The list's length
 * bounds its distinct ids from above: counting the distinct ids would hash every id (~30k per leetcode query, more
 * than scoring it), and buildRankedList hashes them anyway.
 */
export function subsetSize(query: Query, depth: number, numDocs: number): number {
  return Math.min(numDocs, depth + query.excludedIds.length);
}

import type { RankedDoc, Run } from '../core/types.js';

/**
 * Run fusion as Pyserini's `pyserini.fusion` and Anserini's `FuseRuns` do it: each input contributes its top
 * `depth` documents per query, scores are summed per document, and the fused list keeps the best `k`.
 *
 * Each input's documents are first put in trec_eval's order (score descending, ties by document id descending), so
 * ranks do not depend on how a file happens to list them.
 *
 * - `rrf`: Σ 1 / (rrfK + rank), rank 1-based (k = 60, Cormack et al. 2009).
 * - `linear`: Σ weight · normalise(score) over the inputs that retrieved the document (a missing document adds 0),
 *   normalised per query: `minmax` (s − min) / (max − min), 1 when every score is equal; `z` (s − mean) / σ with
 *   the population σ, 0 when σ is 0; `none` the raw scores.
 *
 * Ties in the fused score are broken by document id, descending: the order trec_eval scores equal scores in, so the
 * ranks written are the ranks scored. Queries come in the first input's order, then queries only later inputs have.
 */
export type FusionMethod = 'rrf' | 'linear';
export type Normalization = 'minmax' | 'z' | 'none';

export interface FusionOptions {
  method: FusionMethod;
  /** RRF's constant. */
  rrfK: number;
  normalization: Normalization;
  /** One per input (linear); default 1/n each. */
  weights: readonly number[];
  /** Documents taken from each input per query. */
  depth: number;
  /** Documents kept per fused query. */
  k: number;
}

export function normalizeScores(scores: readonly number[], normalization: Normalization): number[] {
  if (normalization === 'none' || scores.length === 0) return [...scores];
  if (normalization === 'minmax') {
    let min = Infinity;
    let max = -Infinity;
    for (const score of scores) {
      min = Math.min(min, score);
      max = Math.max(max, score);
    }
    return scores.map((score) => (max === min ? 1 : (score - min) / (max - min)));
  }
  let sum = 0;
  for (const score of scores) sum += score;
  const mean = sum / scores.length;
  let squares = 0;
  for (const score of scores) squares += (score - mean) * (score - mean);
  const sigma = Math.sqrt(squares / scores.length);
  return scores.map((score) => (sigma === 0 ? 0 : (score - mean) / sigma));
}

/** Descending by score, then by document id descending (trec_eval's order for ties). */
export function compareFused(a: RankedDoc, b: RankedDoc): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.docId < b.docId ? 1 : a.docId > b.docId ? -1 : 0;
}

export function fuseRuns(runs: readonly Run[], options: FusionOptions): Run {
  const queryIds: string[] = [];
  const seen = new Set<string>();
  for (const run of runs) for (const queryId of run.keys()) if (!seen.has(queryId)) queryIds.push(queryId), seen.add(queryId);
  const fused: Run = new Map();
  for (const queryId of queryIds) {
    const totals = new Map<string, number>();
    runs.forEach((run, index) => {
      const docs = [...(run.get(queryId) ?? [])].sort(compareFused).slice(0, options.depth);
      const contributions =
        options.method === 'rrf'
          ? docs.map((_, rank) => 1 / (options.rrfK + rank + 1))
          : normalizeScores(docs.map((doc) => doc.score), options.normalization).map((value) => options.weights[index]! * value);
      docs.forEach((doc, position) => totals.set(doc.docId, (totals.get(doc.docId) ?? 0) + contributions[position]!));
    });
    fused.set(queryId, [...totals].map(([docId, score]) => ({ docId, score })).sort(compareFused).slice(0, options.k));
  }
  return fused;
}

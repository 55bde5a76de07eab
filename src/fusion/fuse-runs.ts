import { RankedList, type Run } from '../eval/ranked-list.js';

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

/** The positions of `docs` descending by score, then by document id descending (trec_eval's order for ties). */
function fusedOrder(docs: RankedList): number[] {
  return Array.from({ length: docs.length }, (_, i) => i).sort((a, b) => {
    if (docs.scores[a] !== docs.scores[b]) return docs.scores[b]! - docs.scores[a]!;
    const idA = docs.docId(a);
    const idB = docs.docId(b);
    return idA < idB ? 1 : idA > idB ? -1 : 0;
  });
}

export function fuseRuns(runs: readonly Run[], options: FusionOptions): Run {
  const queryIds: string[] = [];
  const seen = new Set<string>();
  for (const run of runs) for (const queryId of run.keys()) if (!seen.has(queryId)) queryIds.push(queryId), seen.add(queryId);
  const fused: Run = new Map();
  for (const queryId of queryIds) {
    const totals = new Map<string, number>();
    runs.forEach((run, index) => {
      const docs = run.get(queryId);
      if (!docs) return;
      const taken = fusedOrder(docs).slice(0, options.depth);
      const contributions =
        options.method === 'rrf'
          ? taken.map((_, rank) => 1 / (options.rrfK + rank + 1))
          : normalizeScores(taken.map((position) => docs.scores[position]!), options.normalization).map((value) => options.weights[index]! * value);
      taken.forEach((position, rank) => {
        const docId = docs.docId(position);
        totals.set(docId, (totals.get(docId) ?? 0) + contributions[rank]!);
      });
    });
    const all = RankedList.of([...totals.keys()], [...totals.values()]);
    fused.set(queryId, all.pick(fusedOrder(all).slice(0, options.k)));
  }
  return fused;
}

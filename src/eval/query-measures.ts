import { glibcLog2 } from './glibc-log2.js';
import type { Measure } from './measure.js';
import type { Ranking } from './ranking.js';

/** Above this many relevant retrieved docs, sorting the whole list beats locating each one's rank. */
const RANK_BY_SCAN_LIMIT = 16;

/**
 * trec_eval 9.0.8 (as compiled into pytrec_eval) measures of one query. The run is ordered the way trec_eval
 * orders it: score stored as C float, descending, ties by docid descending in strcmp order; the given order and
 * any rank column are ignored. Only the relevant retrieved documents and their ranks matter to these measures,
 * and every sum is formed in the same order as trec_eval's loops, so the values are bit-identical.
 * `docs` must not repeat a docid (trec_eval refuses such runs; the readers reject them).
 */
export function queryMeasures(docs: Ranking, judgments: ReadonlyMap<string, number>, measures: readonly Measure[]): Record<string, number> {
  // Judged@k also needs where the non-relevant judged documents sit; only then are their ranks worked out
  const judged = measures.some((measure) => measure.family === 'Judged') ? judgedRanks(docs, judgments, () => true) : undefined;
  const relevant = judged ? onlyRelevant(judged) : judgedRanks(docs, judgments, (rel) => rel > 0);
  let numRel = 0;
  const idealGains: number[] = [];
  for (const rel of judgments.values()) {
    if (rel >= 1) numRel++;
    if (rel > 0) idealGains.push(rel);
  }
  idealGains.sort((a, b) => b - a);

  const values: Record<string, number> = {};
  for (const measure of measures) {
    values[measure.name] = measureValue(measure, relevant, numRel, idealGains, () => judgedShare(judged!.ranks, measure.cutoff!, docs.length));
  }
  return values;
}

/**
 * ir_measures' Judged@k: the share of the top k that has a judgment of any grade, over min(k, documents retrieved);
 * 0 for an empty ranking (where ir_measures divides by zero).
 */
function judgedShare(sortedRanks: readonly number[], cutoff: number, retrieved: number): number {
  const depth = Math.min(cutoff, retrieved);
  return depth > 0 ? countWithin(sortedRanks, cutoff) / depth : 0;
}

/** Judged retrieved documents (all, or the relevant ones) as parallel arrays of 1-based rank and relevance, by rank. */
interface RelevantRanks {
  ranks: number[];
  gains: number[];
}

function measureValue(measure: Measure, relevant: RelevantRanks, numRel: number, idealGains: readonly number[], judgedShare: () => number): number {
  const { ranks, gains } = relevant;
  const cutoff = measure.cutoff ?? Infinity;
  switch (measure.family) {
    case 'MRR':
      // RR@k: the first relevant document counts only within the top k
      return ranks.length > 0 && ranks[0]! <= cutoff ? 1.0 / ranks[0]! : 0;
    case 'Success':
      return ranks.length > 0 && ranks[0]! <= cutoff ? 1 : 0;
    case 'Judged':
      return judgedShare();
    case 'P':
      return countWithin(ranks, cutoff) / cutoff;
    case 'Recall':
      return numRel > 0 ? countWithin(ranks, cutoff) / numRel : 0;
    case 'MAP': {
      let sum = 0.0;
      for (let i = 0; i < ranks.length && ranks[i]! <= cutoff; i++) sum += (i + 1) / ranks[i]!;
      return numRel > 0 ? sum / numRel : 0;
    }
    case 'NDCG': {
      let dcg = 0.0;
      for (let i = 0; i < ranks.length && ranks[i]! <= cutoff; i++) dcg += gains[i]! / glibcLog2(ranks[i]! + 1);
      let idealDcg = 0.0;
      for (let i = 0; i < idealGains.length && i < cutoff; i++) idealDcg += idealGains[i]! / glibcLog2(i + 2);
      return idealDcg > 0.0 ? dcg / idealDcg : dcg;
    }
  }
}

function countWithin(sortedRanks: readonly number[], cutoff: number): number {
  let count = 0;
  while (count < sortedRanks.length && sortedRanks[count]! <= cutoff) count++;
  return count;
}

function onlyRelevant(judged: RelevantRanks): RelevantRanks {
  const ranks: number[] = [];
  const gains: number[] = [];
  judged.gains.forEach((gain, i) => {
    if (gain > 0) {
      ranks.push(judged.ranks[i]!);
      gains.push(gain);
    }
  });
  return { ranks, gains };
}

function judgedRanks(docs: Ranking, judgments: ReadonlyMap<string, number>, keep: (rel: number) => boolean): RelevantRanks {
  const hits: number[] = [];
  const gainOf = new Map<number, number>();
  docs.forEachJudged(judgments, (position, rel) => {
    if (!keep(rel)) return;
    hits.push(position);
    gainOf.set(position, rel);
  });
  if (hits.length === 0) return { ranks: [], gains: [] };
  const scores = docs.float32Scores();
  const precedes = (i: number, j: number): boolean => scores[i]! > scores[j]! || (scores[i] === scores[j] && docs.compareIds(i, j) > 0);

  const rankOf = new Map<number, number>();
  if (hits.length <= RANK_BY_SCAN_LIMIT) {
    for (const hit of hits) {
      // precedes(j, hit) for every j: the higher scores, then the ties whose id comes first (ids only when there are ties)
      const score = scores[hit]!;
      let before = countAbove(scores, score);
      if (equalCount > 1) {
        for (let j = 0; j < scores.length; j++) if (scores[j] === score && j !== hit && docs.compareIds(j, hit) > 0) before++;
      }
      rankOf.set(hit, before + 1);
    }
  } else {
    const order = Array.from({ length: docs.length }, (_, i) => i).sort((i, j) => (precedes(i, j) ? -1 : precedes(j, i) ? 1 : 0));
    order.forEach((index, position) => rankOf.set(index, position + 1));
  }
  hits.sort((a, b) => rankOf.get(a)! - rankOf.get(b)!);
  return { ranks: hits.map((hit) => rankOf.get(hit)!), gains: hits.map((hit) => gainOf.get(hit)!) };
}

/** How many positions countAbove's last call found equal to its score (a second result without an object). */
let equalCount = 0;

/**
 * How many scores are above `score`; sets equalCount. This loop is most of the scoring time, and a `score` process
 * runs it mostly before the JIT has warmed up: on its own, small, it is optimised after a few calls, where inside
 * judgedRanks it ran unoptimised (allocating a number per score) until the whole function was.
 */
function countAbove(scores: Float32Array, score: number): number {
  let above = 0;
  let equal = 0;
  for (let j = 0; j < scores.length; j++) {
    const other = scores[j]!;
    if (other > score) above++;
    else if (other === score) equal++;
  }
  equalCount = equal;
  return above;
}

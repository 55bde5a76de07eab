import { usageError } from '../core/errors.js';

export type MeasureFamily = 'NDCG' | 'MAP' | 'Recall' | 'P' | 'MRR' | 'Success' | 'Judged';

/**
 * One retrieval measure, computed with trec_eval 9.0.8's semantics. Any spelling users know names it: BRIGHT's
 * (`NDCG@10`, `MRR`), ir_measures' (`nDCG@10`, `AP@100`, `R@1000`, `RR@10`, `Success@5`, `Judged@10`) or trec_eval's
 * (`ndcg_cut_10`, `map`, `recip_rank`); outputs are keyed by the spelling asked for.
 */
export interface Measure {
  /** The key outputs use: the name as it was asked for (`nDCG@10`), BRIGHT's for the defaults (`NDCG@10`). */
  readonly name: string;
  /** The measure itself in BRIGHT's spelling (`NDCG@10`, `MAP`, `MRR@10`): two names of one measure share it. */
  readonly key: string;
  readonly family: MeasureFamily;
  /** Rank cutoff; null for the whole ranking (MRR, trec_eval's `map` and `ndcg`). */
  readonly cutoff: number | null;
}

/** BRIGHT's `k_values`. */
export const BRIGHT_CUTOFFS: readonly number[] = [1, 5, 10, 25, 50, 100];

/** trec_eval's measure names, as pytrec_eval reports them per query: [cut prefix, whole-ranking name]. */
const trecEvalNames: Record<MeasureFamily, [string, string | null]> = {
  NDCG: ['ndcg_cut_', 'ndcg'],
  MAP: ['map_cut_', 'map'],
  Recall: ['recall_', null],
  P: ['P_', null],
  MRR: ['', 'recip_rank'],
  Success: ['success_', null],
  Judged: ['', null],
};

interface Alias {
  family: MeasureFamily;
  /** Whether the name may stand without a cutoff (the whole ranking). */
  whole: boolean;
  /** Whether it takes a cutoff at all. */
  cut: boolean;
}

// `_cut` forms and `recip_rank` are trec_eval's, `@` forms BRIGHT's and ir_measures'
const familyAliases = new Map<string, Alias>([
  ['ndcg', { family: 'NDCG', whole: true, cut: true }],
  ['ndcg_cut', { family: 'NDCG', whole: false, cut: true }],
  ['map', { family: 'MAP', whole: true, cut: true }],
  ['ap', { family: 'MAP', whole: true, cut: true }],
  ['map_cut', { family: 'MAP', whole: false, cut: true }],
  ['recall', { family: 'Recall', whole: false, cut: true }],
  ['r', { family: 'Recall', whole: false, cut: true }],
  ['p', { family: 'P', whole: false, cut: true }],
  ['precision', { family: 'P', whole: false, cut: true }],
  ['mrr', { family: 'MRR', whole: true, cut: true }],
  ['rr', { family: 'MRR', whole: true, cut: true }],
  ['recip_rank', { family: 'MRR', whole: true, cut: false }],
  ['success', { family: 'Success', whole: false, cut: true }],
  ['judged', { family: 'Judged', whole: false, cut: true }],
]);

const supportedNames =
  'nDCG@k/NDCG@k, AP@k/MAP@k, R@k/Recall@k, P@k, RR@k/MRR@k, Success@k, Judged@k (k a positive integer), and nDCG, AP/map, RR/MRR over the whole ranking; trec_eval spellings ndcg_cut_k, ndcg_cut.k, map_cut_k, recall_k, P_k, success_k and recip_rank also work';

/** The measure under its BRIGHT-spelled key; `name` is what outputs call it (default: the key). */
export function makeMeasure(family: MeasureFamily, cutoff: number | null, name?: string): Measure {
  const key = cutoff === null ? family : `${family}@${cutoff}`;
  return Object.freeze({ name: name ?? key, key, family, cutoff });
}

function parseWith(name: string, outputName: string): Measure {
  const text = name.trim();
  const match = /^([A-Za-z_]+?)(?:[@._](\d+))?$/.exec(text);
  const alias = match ? familyAliases.get(match[1]!.toLowerCase()) : undefined;
  if (!match || !alias) throw usageError('unknown_measure', `unknown measure "${name}": supported are ${supportedNames}`);
  const digits = match[2];
  if (digits === undefined) {
    if (!alias.whole) throw usageError('unknown_measure', `measure "${name}" needs a cutoff, e.g. ${match[1]}@10`);
    return makeMeasure(alias.family, null, outputName);
  }
  if (!alias.cut) throw usageError('unknown_measure', `measure "${name}" takes no cutoff; write RR@${digits} for a cut reciprocal rank`);
  const cutoff = Number(digits);
  if (!Number.isSafeInteger(cutoff) || cutoff < 1) {
    throw usageError('unknown_measure', `measure "${name}": the cutoff must be a positive integer`);
  }
  return makeMeasure(alias.family, cutoff, outputName);
}

/**
 * Parses `nDCG@10`, `NDCG@10`, `ndcg_cut_10`, `ndcg_cut.10`, `AP@100`, `map`, `R@1000`, `P_5`, `RR@10`, `MRR`,
 * `recip_rank`, `Success@5`, `Judged@10` (family case-insensitive). The measure keeps the spelling it was given.
 */
export function parseMeasure(name: string): Measure {
  return parseWith(name, name.trim());
}

/**
 * Parses a comma-separated list (`nDCG@10,R@1000,RR`). A bare number continues the previous item's spelling, so
 * trec_eval's `ndcg_cut.1,5,10` names ndcg_cut.1, ndcg_cut.5, ndcg_cut.10. A name given twice is kept once; two
 * spellings of one measure (`nDCG@10,NDCG@10`) are both kept, since outputs are keyed by the names asked for.
 */
export function parseMeasureList(spec: string): Measure[] {
  const measures = new Map<string, Measure>();
  let previous: { measure: Measure; prefix: string } | undefined;
  for (const item of spec.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    let measure: Measure;
    if (/^\d+$/.test(item)) {
      if (!previous || previous.measure.cutoff === null) {
        throw usageError('unknown_measure', `measure list "${spec}": the bare cutoff "${item}" follows no measure with a cutoff`);
      }
      measure = parseMeasure(`${previous.prefix}${item}`);
    } else {
      measure = parseMeasure(item);
    }
    previous = { measure, prefix: measure.name.replace(/\d+$/, '') };
    if (!measures.has(measure.name)) measures.set(measure.name, measure);
  }
  if (measures.size === 0) throw usageError('unknown_measure', `measure list "${spec}" names no measure`);
  return [...measures.values()];
}

/** The measure's key (`NDCG@10`) for any spelling of it, or null when the text names no measure. */
export function measureKey(name: string): string | null {
  try {
    return parseMeasure(name).key;
  } catch {
    return null;
  }
}

/**
 * The name pytrec_eval gives the measure in its per-query output (`ndcg_cut_10`, `map`, `recip_rank`), or null for
 * those trec_eval does not compute (a cut reciprocal rank, Judged@k: ir_measures' own providers).
 */
export function trecEvalName(measure: Measure): string | null {
  const [prefix, whole] = trecEvalNames[measure.family];
  if (measure.cutoff === null) return whole;
  return prefix === '' ? null : `${prefix}${measure.cutoff}`;
}

/** BRIGHT's results.json keys, in its order: NDCG@k, MAP@k, Recall@k, P@k for k in 1,5,10,25,50,100, then MRR. */
export const DEFAULT_MEASURES: readonly Measure[] = Object.freeze([
  ...(['NDCG', 'MAP', 'Recall', 'P'] as const).flatMap((family) => BRIGHT_CUTOFFS.map((k) => makeMeasure(family, k))),
  makeMeasure('MRR', null),
]);

import { usageError } from '../core/errors.js';

export type MeasureFamily = 'NDCG' | 'MAP' | 'Recall' | 'P' | 'MRR';

/** One retrieval measure as BRIGHT names it (`NDCG@10`, `MRR`), computed with trec_eval 9.0.8's semantics. */
export interface Measure {
  /** Canonical BRIGHT name: `NDCG@10`, `MAP@10`, `Recall@10`, `P@10`, `MRR`. */
  readonly name: string;
  readonly family: MeasureFamily;
  /** Rank cutoff; null only for MRR (trec_eval `recip_rank` reads the whole run). */
  readonly cutoff: number | null;
}

/** BRIGHT's `k_values`. */
export const BRIGHT_CUTOFFS: readonly number[] = [1, 5, 10, 25, 50, 100];

/** trec_eval's measure names, as pytrec_eval reports them per query. */
const trecEvalPrefix: Record<MeasureFamily, string> = {
  NDCG: 'ndcg_cut_',
  MAP: 'map_cut_',
  Recall: 'recall_',
  P: 'P_',
  MRR: 'recip_rank',
};

// Every spelling maps to a family; `_cut` forms are trec_eval's, `@` forms BRIGHT's and ir_measures'.
const familyAliases = new Map<string, MeasureFamily>([
  ['ndcg', 'NDCG'],
  ['ndcg_cut', 'NDCG'],
  ['map', 'MAP'],
  ['map_cut', 'MAP'],
  ['recall', 'Recall'],
  ['r', 'Recall'],
  ['p', 'P'],
  ['precision', 'P'],
  ['mrr', 'MRR'],
  ['recip_rank', 'MRR'],
  ['rr', 'MRR'],
]);

const supportedNames = 'NDCG@k, MAP@k, Recall@k, P@k (k a positive integer) and MRR; trec_eval spellings ndcg_cut_k, ndcg_cut.k, map_cut_k, recall_k, P_k and recip_rank also work';

export function makeMeasure(family: MeasureFamily, cutoff: number | null): Measure {
  return Object.freeze({ name: family === 'MRR' ? 'MRR' : `${family}@${cutoff}`, family, cutoff });
}

/** Parses `NDCG@10`, `ndcg_cut_10`, `ndcg_cut.10`, `recall@100`, `P_5`, `MRR`, `recip_rank` (family case-insensitive). */
export function parseMeasure(name: string): Measure {
  const text = name.trim();
  const match = /^([A-Za-z_]+?)(?:[@._](\d+))?$/.exec(text);
  const family = match ? familyAliases.get(match[1]!.toLowerCase()) : undefined;
  if (!match || !family) throw usageError('unknown_measure', `unknown measure "${name}": supported are ${supportedNames}`);
  const digits = match[2];
  if (family === 'MRR') {
    if (digits !== undefined) {
      throw usageError('unknown_measure', `measure "${name}": MRR takes no cutoff (trec_eval recip_rank reads the whole run)`);
    }
    return makeMeasure('MRR', null);
  }
  if (digits === undefined) {
    throw usageError('unknown_measure', `measure "${name}" needs a cutoff, e.g. ${family}@10 (whole-run ${family} is not a BRIGHT measure)`);
  }
  const cutoff = Number(digits);
  if (!Number.isSafeInteger(cutoff) || cutoff < 1) {
    throw usageError('unknown_measure', `measure "${name}": the cutoff must be a positive integer`);
  }
  return makeMeasure(family, cutoff);
}

/**
 * Parses a comma-separated list (`NDCG@10,Recall@1,MRR`). A bare number continues the previous family, so
 * trec_eval's `ndcg_cut.1,5,10` also works. Duplicates are dropped, first occurrence kept.
 */
export function parseMeasureList(spec: string): Measure[] {
  const measures = new Map<string, Measure>();
  let previous: Measure | undefined;
  for (const item of spec.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    let measure: Measure;
    if (/^\d+$/.test(item)) {
      if (!previous || previous.family === 'MRR') {
        throw usageError('unknown_measure', `measure list "${spec}": the bare cutoff "${item}" follows no measure with a cutoff`);
      }
      measure = parseMeasure(`${previous.family}@${item}`);
    } else {
      measure = parseMeasure(item);
    }
    previous = measure;
    if (!measures.has(measure.name)) measures.set(measure.name, measure);
  }
  if (measures.size === 0) throw usageError('unknown_measure', `measure list "${spec}" names no measure`);
  return [...measures.values()];
}

/** The name pytrec_eval gives the measure in its per-query output (`ndcg_cut_10`, `recip_rank`). */
export function trecEvalName(measure: Measure): string {
  return measure.family === 'MRR' ? trecEvalPrefix.MRR : `${trecEvalPrefix[measure.family]}${measure.cutoff}`;
}

/** BRIGHT's results.json keys, in its order: NDCG@k, MAP@k, Recall@k, P@k for k in 1,5,10,25,50,100, then MRR. */
export const DEFAULT_MEASURES: readonly Measure[] = Object.freeze([
  ...(['NDCG', 'MAP', 'Recall', 'P'] as const).flatMap((family) => BRIGHT_CUTOFFS.map((k) => makeMeasure(family, k))),
  makeMeasure('MRR', null),
]);

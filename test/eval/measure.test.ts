import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { DEFAULT_MEASURES, parseMeasure, parseMeasureList, trecEvalName } from '../../src/eval/measure.js';

function usageFailure(run: () => unknown): HarnessError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(2);
    return error as HarnessError;
  }
  throw new Error('expected a usage error');
}

describe('parseMeasure', () => {
  it.each([
    ['NDCG@10', 'NDCG@10', 'NDCG', 10],
    ['ndcg@10', 'NDCG@10', 'NDCG', 10],
    ['nDCG@10', 'NDCG@10', 'NDCG', 10],
    ['ndcg_cut_10', 'NDCG@10', 'NDCG', 10],
    ['ndcg_cut.10', 'NDCG@10', 'NDCG', 10],
    ['map_cut_100', 'MAP@100', 'MAP', 100],
    ['MAP@1', 'MAP@1', 'MAP', 1],
    ['recall_5', 'Recall@5', 'Recall', 5],
    ['Recall@1000', 'Recall@1000', 'Recall', 1000],
    ['R@100', 'Recall@100', 'Recall', 100],
    ['P_25', 'P@25', 'P', 25],
    ['p@5', 'P@5', 'P', 5],
    ['MRR', 'MRR', 'MRR', null],
    ['recip_rank', 'MRR', 'MRR', null],
    [' mrr ', 'MRR', 'MRR', null],
  ])('%s -> %s', (input, name, family, cutoff) => {
    expect(parseMeasure(input)).toEqual({ name, family, cutoff });
  });

  it('rejects unknown names, missing or zero cutoffs, and MRR with a cutoff as usage errors (exit 2)', () => {
    expect(usageFailure(() => parseMeasure('bpref')).message).toContain('unknown measure "bpref"');
    expect(usageFailure(() => parseMeasure('NDCG')).message).toContain('needs a cutoff');
    expect(usageFailure(() => parseMeasure('NDCG@0')).message).toContain('positive integer');
    expect(usageFailure(() => parseMeasure('MRR@10')).message).toContain('MRR takes no cutoff');
    expect(usageFailure(() => parseMeasure('NDCG@ten')).code).toBe('usage.unknown_measure');
  });

  it('names measures as pytrec_eval does', () => {
    expect(['NDCG@10', 'MAP@5', 'Recall@100', 'P@1', 'MRR'].map((name) => trecEvalName(parseMeasure(name)))).toEqual([
      'ndcg_cut_10', 'map_cut_5', 'recall_100', 'P_1', 'recip_rank',
    ]);
  });
});

describe('parseMeasureList', () => {
  it('splits on commas, continues a family after a bare cutoff, and drops duplicates', () => {
    expect(parseMeasureList('ndcg_cut.1,5,10, MRR ,NDCG@5,recall@100,1000').map((m) => m.name)).toEqual([
      'NDCG@1', 'NDCG@5', 'NDCG@10', 'MRR', 'Recall@100', 'Recall@1000',
    ]);
  });
  it('rejects an empty list and a bare cutoff without a family', () => {
    usageFailure(() => parseMeasureList(' , '));
    usageFailure(() => parseMeasureList('10,NDCG@5'));
    usageFailure(() => parseMeasureList('MRR,10'));
  });
});

describe('DEFAULT_MEASURES', () => {
  it('are BRIGHT results.json keys in its order', () => {
    const cutoffs = [1, 5, 10, 25, 50, 100];
    expect(DEFAULT_MEASURES.map((m) => m.name)).toEqual([
      ...['NDCG', 'MAP', 'Recall', 'P'].flatMap((family) => cutoffs.map((k) => `${family}@${k}`)),
      'MRR',
    ]);
  });
});

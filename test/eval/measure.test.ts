import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { DEFAULT_MEASURES, measureKey, parseMeasure, parseMeasureList, trecEvalName } from '../../src/eval/measure.js';

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
    ['nDCG', 'NDCG', 'NDCG', null],
    ['map_cut_100', 'MAP@100', 'MAP', 100],
    ['MAP@1', 'MAP@1', 'MAP', 1],
    ['AP@100', 'MAP@100', 'MAP', 100],
    ['map', 'MAP', 'MAP', null],
    ['AP', 'MAP', 'MAP', null],
    ['recall_5', 'Recall@5', 'Recall', 5],
    ['Recall@1000', 'Recall@1000', 'Recall', 1000],
    ['R@100', 'Recall@100', 'Recall', 100],
    ['R@1000', 'Recall@1000', 'Recall', 1000],
    ['P_25', 'P@25', 'P', 25],
    ['p@5', 'P@5', 'P', 5],
    ['MRR', 'MRR', 'MRR', null],
    ['RR', 'MRR', 'MRR', null],
    ['RR@10', 'MRR@10', 'MRR', 10],
    ['MRR@10', 'MRR@10', 'MRR', 10],
    ['recip_rank', 'MRR', 'MRR', null],
    [' mrr ', 'MRR', 'MRR', null],
    ['Success@10', 'Success@10', 'Success', 10],
    ['success_1', 'Success@1', 'Success', 1],
    ['Judged@10', 'Judged@10', 'Judged', 10],
  ])('%s -> %s', (input, key, family, cutoff) => {
    expect(parseMeasure(input)).toEqual({ name: input.trim(), key, family, cutoff });
  });

  it('rejects unknown names, missing or zero cutoffs, and recip_rank with a cutoff as usage errors (exit 2)', () => {
    expect(usageFailure(() => parseMeasure('bpref')).message).toContain('unknown measure "bpref"');
    expect(usageFailure(() => parseMeasure('P')).message).toContain('needs a cutoff');
    expect(usageFailure(() => parseMeasure('ndcg_cut')).message).toContain('needs a cutoff');
    expect(usageFailure(() => parseMeasure('Judged')).message).toContain('needs a cutoff');
    expect(usageFailure(() => parseMeasure('NDCG@0')).message).toContain('positive integer');
    expect(usageFailure(() => parseMeasure('recip_rank_10')).message).toContain('RR@10');
    expect(usageFailure(() => parseMeasure('NDCG@ten')).code).toBe('usage.unknown_measure');
  });

  it('names measures as pytrec_eval does, and none where trec_eval has no such measure', () => {
    expect(['NDCG@10', 'MAP@5', 'Recall@100', 'P@1', 'MRR', 'map', 'nDCG', 'Success@5', 'RR@10', 'Judged@10'].map((name) => trecEvalName(parseMeasure(name)))).toEqual([
      'ndcg_cut_10', 'map_cut_5', 'recall_100', 'P_1', 'recip_rank', 'map', 'ndcg', 'success_5', null, null,
    ]);
  });

  it('gives every spelling of one measure the same key', () => {
    expect(['nDCG@10', 'ndcg_cut_10', 'NDCG@10'].map(measureKey)).toEqual(['NDCG@10', 'NDCG@10', 'NDCG@10']);
    expect(['R@1000', 'recall_1000', 'Recall@1000'].map(measureKey)).toEqual(['Recall@1000', 'Recall@1000', 'Recall@1000']);
    expect(measureKey('not a measure')).toBeNull();
  });
});

describe('parseMeasureList', () => {
  it('splits on commas, continues the spelling after a bare cutoff, keeps names as asked, and drops repeated names', () => {
    expect(parseMeasureList('ndcg_cut.1,5,10, MRR ,NDCG@5,R@100,1000').map((m) => m.name)).toEqual([
      'ndcg_cut.1', 'ndcg_cut.5', 'ndcg_cut.10', 'MRR', 'NDCG@5', 'R@100', 'R@1000',
    ]);
    expect(parseMeasureList('nDCG@10,NDCG@10,AP@100,nDCG@10').map((m) => [m.name, m.key])).toEqual([
      ['nDCG@10', 'NDCG@10'], ['NDCG@10', 'NDCG@10'], ['AP@100', 'MAP@100'],
    ]);
  });
  it('rejects an empty list and a bare cutoff without a cut measure', () => {
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

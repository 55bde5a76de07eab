import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Qrels } from '../../src/core/types.js';
import { RankedList, type Run } from '../../src/eval/ranked-list.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { parseMeasureList } from '../../src/eval/measure.js';
import { readRunFile } from '../../src/eval/run-file.js';
import { readQrelsFile } from '../../src/eval/trec-qrels.js';
import { repoRoot } from '../helpers/cli.js';

const qrelsOf = (entries: Record<string, Record<string, number>>): Qrels =>
  new Map(Object.entries(entries).map(([qid, judgments]) => [qid, new Map(Object.entries(judgments))]));
const docs = (pairs: Array<[string, number]>): RankedList => RankedList.of(pairs.map(([docId]) => docId), pairs.map(([, score]) => score));
const one = (run: Run, qrels: Qrels, spec: string, queryId = 'q') => evaluate(run, qrels, parseMeasureList(spec)).perQuery.get(queryId)!;

const cutoffs = [1, 5, 10, 25, 50, 100];
const golden = path.join(repoRoot, 'test', 'fixtures', 'trec_eval');
const cases = readdirSync(golden, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => path.join(golden, entry.name));

describe('ir_measures names against trec_eval 9.0.8 reference values', () => {
  it.each(cases.map((dir) => [path.basename(dir), dir]))('%s: Success@k and RR@k follow from trec_eval recall_k and recip_rank; AP/nDCG are map/ndcg', async (_, dir) => {
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { per_query: Record<string, Record<string, number>> };
    const run = await readRunFile(path.join(dir, 'run.txt.gz'));
    const qrels = await readQrelsFile(path.join(dir, 'qrels.txt'));
    const spec = [...cutoffs.map((k) => `Success@${k}`), ...cutoffs.map((k) => `RR@${k}`), 'AP', 'nDCG', 'AP@1000000', 'nDCG@1000000'].join(',');
    const evaluation = evaluate(run, qrels, parseMeasureList(spec));
    for (const [queryId, theirs] of Object.entries(expected.per_query)) {
      const ours = evaluation.perQuery.get(queryId)!;
      const firstRank = theirs.recip_rank! > 0 ? Math.round(1 / theirs.recip_rank!) : Infinity;
      for (const k of cutoffs) {
        // trec_eval success_k: a relevant document within the top k, which recall_k > 0 says too
        expect(ours[`Success@${k}`], `${queryId} Success@${k}`).toBe(theirs[`recall_${k}`]! > 0 ? 1 : 0);
        expect(ours[`RR@${k}`], `${queryId} RR@${k}`).toBe(firstRank <= k ? theirs.recip_rank : 0);
      }
      // trec_eval's map and ndcg are map_cut / ndcg_cut at a depth no run reaches
      expect(ours.AP).toBe(ours['AP@1000000']);
      expect(ours.nDCG).toBe(ours['nDCG@1000000']);
    }
  });
});

describe('Judged@k (ir_measures judged provider)', () => {
  it('is the share of the top k with any judgment, over min(k, retrieved), in trec_eval order', () => {
    const run: Run = new Map([['q', docs([['a', 5], ['b', 4], ['c', 3], ['d', 3], ['e', 1]])]]);
    // c/d tie: docid descending puts d (unjudged) before c (judged 0)
    const qrels = qrelsOf({ q: { a: 1, c: 0, e: -1, x: 1 } });
    const values = one(run, qrels, 'Judged@1,Judged@3,Judged@4,Judged@10');
    expect(values['Judged@1']).toBe(1);
    expect(values['Judged@3']).toBe(1 / 3);
    expect(values['Judged@4']).toBe(2 / 4);
    // only five retrieved: a, c, e judged of 5
    expect(values['Judged@10']).toBe(3 / 5);
    expect(one(new Map([['q', docs([])]]), qrels, 'Judged@10')['Judged@10']).toBe(0);
  });

  it('leaves the relevance measures unchanged when it is asked for beside them', () => {
    const run: Run = new Map([['q', docs([['a', 5], ['n', 4], ['b', 3], ['m', 2]])]]);
    const qrels = qrelsOf({ q: { a: 2, b: 1, n: 0, m: -1, z: 1 } });
    const alone = one(run, qrels, 'NDCG@10,AP@10,R@10,P@2,RR,Success@1');
    const beside = one(run, qrels, 'Judged@3,NDCG@10,AP@10,R@10,P@2,RR,Success@1');
    for (const [name, value] of Object.entries(alone)) expect(beside[name]).toBe(value);
    expect(beside['Judged@3']).toBe(1);
  });
});

describe('outputs keyed by the name asked for', () => {
  it('keys per-query values and means by each spelling, and scores two spellings of one measure alike', () => {
    const run: Run = new Map([['q', docs([['a', 2], ['b', 1]])]]);
    const qrels = qrelsOf({ q: { b: 1 } });
    const evaluation = evaluate(run, qrels, [...parseMeasureList('nDCG@10,AP@100,R@1000,RR@10'), ...parseMeasureList('NDCG@10,ndcg_cut_10')]);
    expect(Object.keys(evaluation.aggregate)).toEqual(['nDCG@10', 'AP@100', 'R@1000', 'RR@10', 'NDCG@10', 'ndcg_cut_10']);
    expect(evaluation.aggregate.ndcg_cut_10).toBe(evaluation.aggregate['NDCG@10']);
    expect(evaluation.aggregate['nDCG@10']).toBe(evaluation.aggregate['NDCG@10']);
    expect(evaluation.aggregate['RR@10']).toBe(0.5);
    expect(evaluation.aggregate['RR@10']).toBe(one(run, qrels, 'RR@1,RR@2')['RR@2']);
    expect(one(run, qrels, 'RR@1')['RR@1']).toBe(0);
  });
});

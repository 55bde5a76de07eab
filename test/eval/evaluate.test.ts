import { describe, expect, it } from 'vitest';
import type { Qrels } from '../../src/core/types.js';
import { RankedList, type Run } from '../../src/eval/ranked-list.js';
import { evaluate, RunEvaluator } from '../../src/eval/evaluate.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { GLIBC_LOG2_CHECKED_UP_TO, glibcLog2 } from '../../src/eval/glibc-log2.js';
import { DEFAULT_MEASURES, parseMeasureList } from '../../src/eval/measure.js';

const qrelsOf = (entries: Record<string, Record<string, number>>): Qrels =>
  new Map(Object.entries(entries).map(([qid, judgments]) => [qid, new Map(Object.entries(judgments))]));
const docs = (pairs: Array<[string, number]>): RankedList => RankedList.of(pairs.map(([docId]) => docId), pairs.map(([, score]) => score));
const one = (run: Run, qrels: Qrels, spec: string, queryId = 'q') => evaluate(run, qrels, parseMeasureList(spec)).perQuery.get(queryId)!;

// discount of 1-based rank r
const d = (rank: number) => 1 / Math.log2(rank + 1);

describe('trec_eval ordering', () => {
  it('reproduces the SPEC toy: ndcg_cut_5 0.5438 with float32 scores (0.5706 if compared as doubles)', () => {
    // dA outscores dB only below float32 resolution, so they tie and docid descending puts dB first.
    expect(Math.fround(2.0000000001)).toBe(Math.fround(2.0));
    const run: Run = new Map([['q', docs([['d1', 5], ['d2', 4], ['rel1', 3], ['dB', 2.0], ['dA', 2.0000000001]])]]);
    const qrels = qrelsOf({ q: { rel1: 1, dA: 1 } });
    const value = one(run, qrels, 'NDCG@5')['NDCG@5']!;
    expect(value).toBe((d(3) + d(5)) / (d(1) + d(2)));
    expect(value.toFixed(4)).toBe('0.5438');
    expect(((d(3) + d(4)) / (d(1) + d(2))).toFixed(4)).toBe('0.5706'); // what double comparison would give
  });

  it('breaks exact ties by docid descending, whatever the order in the run', () => {
    const qrels = qrelsOf({ q: { dA: 1 } });
    for (const order of [[['dA', 0.5], ['dB', 0.5]], [['dB', 0.5], ['dA', 0.5]]] as Array<Array<[string, number]>>) {
      expect(one(new Map([['q', docs(order)]]), qrels, 'MRR').MRR).toBe(0.5); // dB ranked first
    }
  });

  it('orders tied docids by code point (UTF-8 bytes), not UTF-16 units', () => {
    // U+1F600 (a surrogate pair in UTF-16) sorts after U+E000 by code point but before it by UTF-16 unit.
    const astral = 'doc\u{1F600}';
    const privateUse = 'doc\uE000';
    const run: Run = new Map([['q', docs([[privateUse, 1], [astral, 1], ['doc~', 1], ['Doc', 1]])]]);
    // descending code points: astral, private use, 'doc~', 'Doc'
    expect(one(run, qrelsOf({ q: { [astral]: 1 } }), 'MRR').MRR).toBe(1);
    expect(one(run, qrelsOf({ q: { [privateUse]: 1 } }), 'MRR').MRR).toBe(1 / 2);
    expect(one(run, qrelsOf({ q: { 'doc~': 1 } }), 'MRR').MRR).toBe(1 / 3);
    expect(one(run, qrelsOf({ q: { Doc: 1 } }), 'MRR').MRR).toBe(1 / 4);
  });

  it('sorts by the float32 value: a higher double that rounds down to the same float32 does not win', () => {
    const above = 1 + 2 ** -30; // float32(above) === 1
    const run: Run = new Map([['q', docs([['a', above], ['b', 1], ['c', 1 + 2 ** -23]])]]);
    // float32: c (1+ulp) first, then a/b tied -> b before a
    expect(one(run, qrelsOf({ q: { a: 1 } }), 'MRR').MRR).toBe(1 / 3);
    expect(one(run, qrelsOf({ q: { b: 1 } }), 'MRR').MRR).toBe(1 / 2);
  });

  it('ranks many relevant documents the same way as a few (sort path vs scan path)', () => {
    const pairs: Array<[string, number]> = Array.from({ length: 300 }, (_, i) => [`d${String(i).padStart(3, '0')}`, (i * 7919) % 13]);
    const manyRelevant = Object.fromEntries(pairs.filter((_, i) => i % 3 === 0).map(([id]) => [id, 1 + (id.charCodeAt(3) % 3)]));
    const run: Run = new Map([['q', docs(pairs)]]);
    const measures = parseMeasureList('NDCG@1000,MAP@1000,MRR');
    const all = evaluate(run, qrelsOf({ q: manyRelevant }), measures).perQuery.get('q')!;
    // recompute with a straightforward full sort
    const ranked = [...pairs].sort((x, y) => Math.fround(y[1]) - Math.fround(x[1]) || (x[0] < y[0] ? 1 : -1));
    let dcg = 0;
    let ap = 0;
    let found = 0;
    ranked.forEach(([id], i) => {
      const rel = manyRelevant[id];
      if (rel) {
        dcg += rel / Math.log2(i + 2);
        found++;
        ap += found / (i + 1);
      }
    });
    const ideal = Object.values(manyRelevant).sort((a, b) => b - a).reduce((sum, rel, i) => sum + rel / Math.log2(i + 2), 0);
    expect(all['NDCG@1000']).toBe(dcg / ideal);
    expect(all['MAP@1000']).toBe(ap / Object.keys(manyRelevant).length);
  });
});

describe('measure definitions', () => {
  const run: Run = new Map([['q', docs([['a', 9], ['b', 8], ['c', 7], ['d', 6], ['e', 5], ['f', 4]])]]);

  it('uses linear gain, IDCG over every judged relevant doc (retrieved or not), truncated at k', () => {
    const qrels = qrelsOf({ q: { b: 2, e: 1, missing: 3, c: 0 } });
    const values = one(run, qrels, 'NDCG@5,NDCG@1');
    expect(values['NDCG@5']).toBe((2 * d(2) + 1 * d(5)) / (3 * d(1) + 2 * d(2) + 1 * d(3)));
    expect(values['NDCG@1']).toBe(0);
  });

  it('divides MAP@k by all relevant, P@k by k and Recall@k by all relevant', () => {
    const qrels = qrelsOf({ q: { b: 1, d: 1, z: 1, y: 1 } });
    const values = one(run, qrels, 'MAP@3,MAP@10,P@3,P@100,Recall@4');
    expect(values['MAP@3']).toBe((1 / 2) / 4);
    expect(values['MAP@10']).toBe((1 / 2 + 2 / 4) / 4);
    expect(values['P@3']).toBe(1 / 3);
    expect(values['P@100']).toBe(2 / 100);
    expect(values['Recall@4']).toBe(2 / 4);
  });

  it('treats negative judgments as not relevant but keeps their rank', () => {
    const qrels = qrelsOf({ q: { a: -1, b: -100, c: 1 } });
    const values = one(run, qrels, 'MRR,P@1,NDCG@3');
    expect(values.MRR).toBe(1 / 3);
    expect(values['P@1']).toBe(0);
    expect(values['NDCG@3']).toBe(d(3) / d(1));
  });

  it('does not cut runs at 1000: MRR sees a relevant doc at rank 1500', () => {
    const long = docs(Array.from({ length: 2000 }, (_, i) => [`d${i}`, 2000 - i]));
    const values = one(new Map([['q', long]]), qrelsOf({ q: { d1499: 1 } }), 'MRR,Recall@1000,NDCG@2000');
    expect(values.MRR).toBe(1 / 1500);
    expect(values['Recall@1000']).toBe(0);
    expect(values['NDCG@2000']).toBe(1 / Math.log2(1501));
  });

  it('uses glibc log2 for discounts past rank 1373, where V8 Math.log2 differs in the last bit', () => {
    const long = docs(Array.from({ length: 1400 }, (_, i) => [`d${i}`, 2000 - i]));
    const value = one(new Map([['q', long]]), qrelsOf({ q: { d1373: 1 } }), 'NDCG@1400')['NDCG@1400']!;
    expect(Math.log2(1375)).toBe(10.425215903299385); // V8
    expect(value).toBe(1 / 10.425215903299383); // glibc's log2(1375), trec_eval's discount at rank 1374
  });
});

describe('glibc log2 (the rank discount)', () => {
  it('equals glibc where V8 rounds the other way, beyond rank 100,000 too', () => {
    // Python's math.log2 (glibc 2.36, x86-64 with FMA) printed these
    expect(glibcLog2(1375)).toBe(10.425215903299383);
    expect(glibcLog2(83507)).toBe(16.34960951656134);
    expect(glibcLog2(103485)).toBe(16.65906214077096);
    expect(Math.log2(103485)).toBe(16.659062140770963);
    expect(glibcLog2(413932)).toBe(18.659034258295584);
    expect(glibcLog2(1048575)).toBe(19.999998624138136);
    expect(glibcLog2(2 ** 20)).toBe(20);
    expect(GLIBC_LOG2_CHECKED_UP_TO).toBeGreaterThan(413932); // BRIGHT's largest corpus (leetcode)
  });

  it('discounts a relevant document at rank 103,484 as trec_eval does', () => {
    const long = docs(Array.from({ length: 103484 }, (_, i) => [`d${i}`, 200000 - i]));
    const values = one(new Map([['q', long]]), qrelsOf({ q: { d103483: 1 } }), 'NDCG@200000');
    expect(values['NDCG@200000']).toBe(1 / 16.65906214077096);
  });
});

describe('which queries are averaged', () => {
  it('evaluates a query whose judgments are all 0 (all zeros) and counts it in the mean', () => {
    const run: Run = new Map([
      ['q1', docs([['a', 1]])],
      ['q2', docs([['a', 1]])],
    ]);
    const evaluation = evaluate(run, qrelsOf({ q1: { a: 1 }, q2: { a: 0 } }), DEFAULT_MEASURES);
    expect(evaluation.queryOrder).toEqual(['q1', 'q2']);
    expect(Object.values(evaluation.perQuery.get('q2')!).every((value) => value === 0)).toBe(true);
    expect(evaluation.aggregate['NDCG@10']).toBe(0.5);
    expect(evaluation.aggregate.MRR).toBe(0.5);
  });

  it('averages over queries in both run and qrels in run order; allQueries counts missing judged queries as 0', () => {
    const run: Run = new Map([
      ['9', docs([['x', 1]])],
      ['unjudged', docs([['x', 1]])],
      ['1', docs([['y', 1], ['x', 0]])],
    ]);
    const qrels = qrelsOf({ 1: { x: 1 }, 9: { x: 1 }, 5: { x: 1 } });
    const both = evaluate(run, qrels, parseMeasureList('MRR'));
    expect(both.queryOrder).toEqual(['9', '1']);
    expect(both.aggregate.MRR).toBe((1 + 0.5) / 2);
    const all = evaluate(run, qrels, parseMeasureList('MRR'), { allQueries: true });
    expect(all.queryOrder).toEqual(['9', '1', '5']);
    expect(all.perQuery.get('5')).toEqual({ MRR: 0 });
    expect(all.aggregate.MRR).toBe((1 + 0.5) / 3);
  });

  it('handles an empty run and a query with no documents', () => {
    const qrels = qrelsOf({ q: { a: 1 } });
    const empty = evaluate(new Map(), qrels, parseMeasureList('NDCG@10,MRR'));
    expect(empty.queryOrder).toEqual([]);
    expect(empty.aggregate).toEqual({ 'NDCG@10': 0, MRR: 0 });
    const noDocs = evaluate(new Map([['q', docs([])]]), qrels, parseMeasureList('NDCG@10,MRR'));
    expect(noDocs.queryOrder).toEqual(['q']);
    expect(noDocs.perQuery.get('q')).toEqual({ 'NDCG@10': 0, MRR: 0 });
  });

  it('sums the mean in run order (not sorted qid order), as BRIGHT does', () => {
    // reciprocal ranks 1/2, 1/2, 1/6 in run order c, b, a: (1/2 + 1/2) + 1/6 differs in the last bit from (1/6 + 1/2) + 1/2
    const ranks: Array<[string, number]> = [['c', 2], ['b', 2], ['a', 6]];
    const run: Run = new Map(ranks.map(([qid, rank]) => [qid, docs(Array.from({ length: rank }, (_, i) => [i === rank - 1 ? 'rel' : `n${i}`, 10 - i]))]));
    const qrels: Qrels = new Map(ranks.map(([qid]) => [qid, new Map([['rel', 1]])]));
    const evaluation = evaluate(run, qrels, parseMeasureList('MRR'));
    expect(evaluation.queryOrder).toEqual(['c', 'b', 'a']);
    expect(evaluation.aggregate.MRR).toBe((0 + 1 / 2 + 1 / 2 + 1 / 6) / 3);
    expect(evaluation.aggregate.MRR).not.toBe((0 + 1 / 6 + 1 / 2 + 1 / 2) / 3);
  });
});

describe('RunEvaluator: evaluate() a list at a time, as a search hands them over', () => {
  it('gives evaluate() of the run its lists make, in run order, a query added again keeping its first place', () => {
    const random = seededRandom(41);
    const measures = [...DEFAULT_MEASURES, ...parseMeasureList('Recall@1000,Judged@10')];
    const ids = Array.from({ length: 300 }, (_, i) => `d${i}`);
    const listOf = () => {
      const docIds = ids.filter(() => random() < 0.5);
      // coarse scores: many ties, broken by docid
      return RankedList.of(docIds, docIds.map(() => Math.floor(random() * 20) / 4));
    };
    // q0-q39 judged (q35-q39 absent from the run), q40-q44 in the run without judgments
    const qrels: Qrels = new Map(
      Array.from({ length: 40 }, (_, q) => [`q${q}`, new Map(ids.filter(() => random() < 0.03).map((id) => [id, 1 + Math.floor(random() * 2)] as [string, number]))]),
    );
    const order = [...Array.from({ length: 35 }, (_, q) => `q${q}`), ...Array.from({ length: 5 }, (_, q) => `q${40 + q}`)].sort(() => random() - 0.5);
    for (const allQueries of [false, true]) {
      const evaluator = new RunEvaluator(qrels, measures);
      const run: Run = new Map();
      for (const queryId of order) {
        const list = listOf();
        run.set(queryId, list);
        evaluator.add(queryId, list);
      }
      // two queries handed over again: their last lists count, in their first places
      for (const queryId of [order[3]!, order[20]!]) {
        const list = listOf();
        run.set(queryId, list);
        evaluator.add(queryId, list);
      }
      const whole = evaluate(run, qrels, measures, { allQueries });
      expect(evaluator.finish({ allQueries })).toEqual(whole);
      expect(whole.queryOrder).toHaveLength(allQueries ? 40 : 35);
      expect(whole.queryOrder.slice(0, 35)).toEqual(order.filter((queryId) => qrels.has(queryId)));
    }
  });
});

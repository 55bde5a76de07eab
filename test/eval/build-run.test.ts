import { describe, expect, it, vi } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import type { Candidates, Query } from '../../src/core/types.js';
import { buildRankedList, qrelsFromQueries, removeExcludedIds } from '../../src/eval/build-run.js';
import { CorpusIds } from '../../src/core/corpus-ids.js';
import { RankedList } from '../../src/eval/ranked-list.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { docsByQuery, docsOf, runOf, type Doc } from '../helpers/runs.js';

/** BRIGHT's get_scores, transcribed: dict of all scores, pop excluded, stable sort descending, first `depth`. */
function reference(scores: Float32Array, rows: number[], ids: string[], excluded: string[], depth: number | 'all'): Doc[] {
  const dropped = new Set(excluded.filter((id) => id !== 'N/A'));
  const entries = rows.map((row, i) => ({ row, docId: ids[row]!, score: scores[i]! })).filter((entry) => !dropped.has(entry.docId));
  entries.sort((a, b) => b.score - a.score || a.row - b.row); // Python's sorted is stable over corpus order
  return entries.slice(0, depth === 'all' ? undefined : depth).map(({ docId, score }) => ({ docId, score }));
}

const ids = Array.from({ length: 5000 }, (_, i) => `doc${i}`);

describe('buildRankedList (BRIGHT get_scores)', () => {
  it('matches the transcription of get_scores on tie-heavy scores, whole-corpus and partial candidate lists', () => {
    const next = seededRandom(7);
    for (const [levels, depth] of [[5, 1000], [50, 100], [1e6, 1000], [3, 10], [2, 'all'], [1e6, 'all'], [4, 6000]] as Array<[number, number | 'all']>) {
      const scores = Float32Array.from(ids, () => Math.floor(next() * levels) / 7 - 1); // many exact ties, negatives
      const excluded = ['N/A', 'doc3', 'doc17', 'doc17', 'doc4999', 'not-in-corpus'];
      const all: Candidates = { queryId: 'q', docIndices: null, scores };
      expect(docsOf(buildRankedList(all, ids, excluded, depth))).toEqual(reference(scores, [...ids.keys()], ids, excluded, depth));

      const rows = [...ids.keys()].filter(() => next() < 0.3).reverse(); // any order of rows
      const partial: Candidates = { queryId: 'q', docIndices: Uint32Array.from(rows), scores: Float32Array.from(rows, (row) => scores[row]!) };
      expect(docsOf(buildRankedList(partial, ids, excluded, depth))).toEqual(reference(partial.scores, rows, ids, excluded, depth));
    }
  });

  it('collapses an id on several rows like BRIGHT\'s dict: first row\'s position, last row\'s score', () => {
    /** get_scores literally: a Map keeps an updated key at its first insertion, as a Python dict does. */
    const dictReference = (scores: Float32Array, corpus: string[], excluded: string[], depth: number) => {
      const dict = new Map<string, number>();
      corpus.forEach((id, row) => dict.set(id, scores[row]!));
      for (const id of excluded) dict.delete(id);
      return [...dict].sort((a, b) => b[1] - a[1]).slice(0, depth).map(([docId, score]) => ({ docId, score }));
    };
    const next = seededRandom(11);
    const corpus = Array.from({ length: 3000 }, (_, i) => (i % 7 === 3 ? `doc${i % 50}` : `doc${i}`));
    for (const levels of [3, 40, 1e6]) {
      const scores = Float32Array.from(corpus, () => Math.floor(next() * levels) / 3);
      for (const depth of [5, 100, 1000]) {
        const expected = dictReference(scores, corpus, ['doc3', 'doc10'], depth);
        expect(docsOf(buildRankedList({ queryId: 'q', docIndices: null, scores }, corpus, ['doc3', 'doc10'], depth))).toEqual(expected);
        const rows = [...corpus.keys()].reverse();
        const partial = { queryId: 'q', docIndices: Uint32Array.from(rows), scores: Float32Array.from(rows, (row) => scores[row]!) };
        expect(docsOf(buildRankedList(partial, corpus, ['doc3', 'doc10'], depth))).toEqual(expected);
      }
    }
  });

  it('returns lists that later calls leave alone (the ordering arrays are reused from call to call)', () => {
    const next = seededRandom(17);
    const built: Array<[RankedList, Doc[]]> = [];
    for (const [count, depth] of [[4000, 1000], [50, 10], [5000, 'all'], [300, 1000], [2000, 100]] as Array<[number, number | 'all']>) {
      const rows = [...ids.keys()].filter(() => next() < count / ids.length);
      const candidates: Candidates = { queryId: 'q', docIndices: Uint32Array.from(rows), scores: Float32Array.from(rows, () => Math.floor(next() * 40)) };
      const whole: Candidates = { queryId: 'q', docIndices: null, scores: Float32Array.from(ids, () => next()) };
      for (const item of [candidates, whole]) {
        const list = buildRankedList(item, ids, ['doc5'], depth);
        expect(list.ids).toBe(CorpusIds.of(ids));
        built.push([list, reference(item.scores, item.docIndices ? [...item.docIndices] : [...ids.keys()], ids, ['doc5'], depth)]);
      }
    }
    for (const [list, expected] of built) expect(docsOf(list)).toEqual(expected);
  });

  it("over a corpus's ids as UTF-8 bytes (the loader's table): the same lists, with no corpus id made a string", () => {
    const next = seededRandom(23);
    const corpus = Array.from({ length: 4000 }, (_, i) => (i % 11 === 4 ? `caf\u00e9${i % 30}` : i % 13 === 6 ? `\u{1F9EC}/${i}` : `doc${i}`));
    const parts = corpus.map((id) => Buffer.from(id, 'utf8'));
    const offsets = new Uint32Array(corpus.length + 1);
    parts.forEach((part, row) => (offsets[row + 1] = offsets[row]! + part.length));
    const table = CorpusIds.fromUtf8(Buffer.concat(parts), offsets);
    const asked = vi.spyOn(table, 'id');
    for (const [excludedCount, depth] of [[0, 100], [40, 100], [900, 200], [300, 'all']] as Array<[number, number | 'all']>) {
      const excluded = [...Array.from({ length: excludedCount }, () => corpus[Math.floor(next() * corpus.length)]!), 'N/A', 'caf\u00e93', 'absent\u00e9'];
      const scores = Float32Array.from(corpus, () => Math.floor(next() * 25));
      const judgments = new Map(Array.from({ length: 30 }, () => [corpus[Math.floor(next() * corpus.length)]!, 1] as [string, number]));
      const overBytes = buildRankedList({ queryId: 'q', docIndices: null, scores }, table, excluded, depth);
      const overStrings = buildRankedList({ queryId: 'q', docIndices: null, scores }, corpus, excluded, depth);
      const visits = (list: RankedList) => {
        const seen: number[] = [];
        list.forEachJudged(judgments, (position) => seen.push(position));
        list.forEachJudged(new Map([...judgments].slice(0, 5)), (position) => seen.push(-position));
        return seen;
      };
      expect(visits(overBytes)).toEqual(visits(overStrings));
      const ties = (list: RankedList) => Array.from({ length: 200 }, (_, k) => Math.sign(list.compareIds(k % list.length, (7 * k + 3) % list.length)));
      expect(ties(overBytes)).toEqual(ties(overStrings));
      // none on the short exclusion path; on the long one (more excluded ids than depth), the rounds' candidates only
      if (excludedCount + 3 <= (depth === 'all' ? Infinity : depth)) expect(asked).not.toHaveBeenCalled();
      else expect(asked.mock.calls.length).toBeLessThanOrEqual(2 * ((depth as number) + ((depth as number) >> 2) + 16));
      expect(docsOf(overBytes)).toEqual(docsOf(overStrings));
      asked.mockClear();
    }
  });

  it('keeps depth non-excluded documents even when excluded ones are at the top', () => {
    const scores = Float32Array.from(ids, (_, i) => 5000 - i);
    const excluded = ids.slice(0, 20);
    const ranked = buildRankedList({ queryId: 'q', docIndices: null, scores }, ids, excluded, 10);
    expect(ranked.docIds()).toEqual(ids.slice(20, 30));
  });

  it('matches get_scores with exclusion lists longer than depth (leetcode-like), however many of the best are excluded', () => {
    const next = seededRandom(13);
    for (const [levels, depth, excludedCount] of [[5, 100, 700], [1e6, 100, 1800], [3, 10, 4000], [1e6, 1000, 1500], [2, 1, 3]] as Array<[number, number, number]>) {
      const scores = Float32Array.from(ids, () => (next() < 0.01 ? -0 : Math.floor(next() * levels) / 7));
      // repeated ids, ids outside the corpus and BRIGHT's placeholder among them
      const excluded = [...Array.from({ length: excludedCount - 3 }, () => `doc${Math.floor(next() * 5000)}`), 'N/A', 'not-in-corpus', 'doc42'];
      const all: Candidates = { queryId: 'q', docIndices: null, scores };
      expect(docsOf(buildRankedList(all, ids, excluded, depth))).toEqual(reference(scores, [...ids.keys()], ids, excluded, depth));
      const rows = [...ids.keys()].filter(() => next() < 0.5).reverse();
      const partial: Candidates = { queryId: 'q', docIndices: Uint32Array.from(rows), scores: Float32Array.from(rows, (row) => scores[row]!) };
      expect(docsOf(buildRankedList(partial, ids, excluded, depth))).toEqual(reference(partial.scores, rows, ids, excluded, depth));
    }
    // the best 3000 all excluded: several rounds of candidates, then the next ones in order
    const falling = Float32Array.from(ids, (_, i) => 5000 - i);
    const top = ids.slice(0, 3000);
    expect(buildRankedList({ queryId: 'q', docIndices: null, scores: falling }, ids, top, 100).docIds()).toEqual(ids.slice(3000, 3100));
    // fewer candidates left than depth: all of them
    expect(buildRankedList({ queryId: 'q', docIndices: null, scores: falling }, ids, ids.slice(0, 4990), 20).docIds()).toEqual(ids.slice(4990));
    // an id on several rows, with a long list: collapsed as before
    const corpus = ids.map((id, i) => (i % 9 === 4 ? `doc${i % 40}` : id));
    const random = Float32Array.from(corpus, () => Math.floor(next() * 30));
    const long = Array.from({ length: 300 }, (_, i) => `doc${i * 13}`);
    const dict = new Map<string, number>();
    corpus.forEach((id, row) => dict.set(id, random[row]!));
    for (const id of long) dict.delete(id);
    const expected = [...dict].sort((a, b) => b[1] - a[1]).slice(0, 50).map(([docId, score]) => ({ docId, score }));
    expect(docsOf(buildRankedList({ queryId: 'q', docIndices: null, scores: random }, corpus, long, 50))).toEqual(expected);
    // a row outside the corpus is still refused
    expect(() => buildRankedList({ queryId: 'q', docIndices: Uint32Array.from([0, 9999]), scores: new Float32Array([1, 2]) }, ids, long, 1)).toThrow(/row 9999 is outside/);
  });

  it('keeps corpus order among equal scores, -0 and +0 included, and returns float32 scores', () => {
    const small = ['a', 'b', 'c', 'd', 'e'];
    const scores = new Float32Array([0, -0, 0.1, 0, 0.1]);
    const ranked = buildRankedList({ queryId: 'q', docIndices: null, scores }, small, [], 4);
    expect(ranked.docIds()).toEqual(['c', 'e', 'a', 'b']);
    expect(ranked.scores[0]).toBe(Math.fround(0.1));
    // every candidate kept (a full sort rather than the heap): the same order, and -0 written as 0
    for (const depth of ['all', 5] as const) {
      const all = buildRankedList({ queryId: 'q', docIndices: null, scores }, small, [], depth);
      expect(all.docIds()).toEqual(['c', 'e', 'a', 'b', 'd']);
      expect(Array.from(all.scores, (score) => Object.is(score, -0))).toEqual([false, false, false, false, false]);
    }
    // an all-zero (empty or all-OOV) query keeps the first documents in corpus order
    expect(buildRankedList({ queryId: 'q', docIndices: null, scores: new Float32Array(5) }, small, ['b'], 3).docIds()).toEqual(['a', 'c', 'd']);
  });

  it('refuses NaN scores and a score array of the wrong length with data errors', () => {
    const bad = () => buildRankedList({ queryId: 'q7', docIndices: null, scores: new Float32Array([1, NaN]) }, ['a', 'b'], [], 10);
    expect(bad).toThrow(HarnessError);
    expect(bad).toThrow(/q7.*b.*NaN/);
    expect(() => buildRankedList({ queryId: 'q', docIndices: null, scores: new Float32Array(3) }, ['a', 'b'], [], 10)).toThrow(/3 scores for 2/);
  });
});

describe('qrelsFromQueries / removeExcludedIds', () => {
  const queries: Query[] = [
    { id: '0', text: '', goldIds: ['g1', 'g2', 'g1'], goldIdsLong: ['L1'], excludedIds: ['x1'] },
    { id: '1', text: '', goldIds: ['g3'], goldIdsLong: ['L2', 'L2'], excludedIds: ['N/A'] },
  ];

  it('builds {gold: 1}, deduplicated, from gold_ids or gold_ids_long', () => {
    expect(qrelsFromQueries(queries, false)).toEqual(new Map([['0', new Map([['g1', 1], ['g2', 1]])], ['1', new Map([['g3', 1]])]]));
    expect(qrelsFromQueries(queries, true)).toEqual(new Map([['0', new Map([['L1', 1]])], ['1', new Map([['L2', 1]])]]));
  });

  it('leaves a query without gold ids unjudged, as a qrels file would', () => {
    const withUnjudged: Query[] = [...queries, { id: '2', text: '', goldIds: [], goldIdsLong: [], excludedIds: [] }];
    expect([...qrelsFromQueries(withUnjudged, false).keys()]).toEqual(['0', '1']);
    expect([...qrelsFromQueries(withUnjudged, true).keys()]).toEqual(['0', '1']);
  });

  it('removes excluded ids from an existing run without shortening it otherwise', () => {
    const run = runOf([
      ['0', [['x1', 3], ['g1', 2], ['x2', 1.5], ['g2', 1]]],
      ['1', [['N/A', 1]]],
      ['other', [['x1', 1]]],
    ]);
    const { run: filtered, removed } = removeExcludedIds(run, [{ ...queries[0]!, excludedIds: ['x1', 'x2'] }, queries[1]!]);
    expect(removed).toBe(2);
    expect(docsByQuery(filtered)).toEqual(
      new Map([
        ['0', [{ docId: 'g1', score: 2 }, { docId: 'g2', score: 1 }]],
        ['1', [{ docId: 'N/A', score: 1 }]],
        ['other', [{ docId: 'x1', score: 1 }]],
      ]),
    );
  });
});

describe('lists built over a corpus find their judged documents by row', () => {
  it('visit the same positions with the same relevance as a lookup of every id, duplicated ids and picks included', () => {
    const next = seededRandom(11);
    // ids repeated on several rows (BRIGHT keeps the first row's position and the last row's score)
    const corpus = Array.from({ length: 3000 }, (_, i) => (i % 500 === 7 ? 'twice' : i % 700 === 9 ? `same${i % 3}` : `d${i}`));
    let visitsBuilt = 0;
    let visitsAnyRows = 0;
    for (const judgedCount of [0, 1, 3, 16, 17, 40]) {
      const judgments = new Map<string, number>();
      while (judgments.size < judgedCount) {
        const pick = next();
        // corpus ids, duplicated ones, ids outside the corpus, relevance 0, 2 and negative
        judgments.set(pick < 0.1 ? 'twice' : pick < 0.2 ? `same${Math.floor(next() * 3)}` : pick < 0.3 ? `absent${Math.floor(next() * 9)}` : corpus[Math.floor(next() * corpus.length)]!, [1, 0, 2, -1][Math.floor(next() * 4)]!);
      }
      const scores = Float32Array.from(corpus, () => Math.floor(next() * 40));
      const built = buildRankedList({ queryId: 'q', docIndices: null, scores }, corpus, [], 1000);
      const picked = built.pick([...built.rows.keys()].filter(() => next() < 0.5));
      // any row of a duplicated id, as a list over the corpus made elsewhere may hold
      const duplicateRows = [...corpus.keys()].filter((row) => !corpus[row]!.startsWith('d') || next() < 0.01);
      const anyRows = new RankedList(CorpusIds.of(corpus), Uint32Array.from(duplicateRows), new Float64Array(duplicateRows.length));
      for (const list of [built, picked, anyRows]) {
        const byRow: Array<[number, number]> = [];
        list.forEachJudged(judgments, (position, relevance) => byRow.push([position, relevance]));
        const byId: Array<[number, number]> = [];
        for (let i = 0; i < list.length; i++) {
          const relevance = judgments.get(list.docId(i));
          if (relevance !== undefined) byId.push([i, relevance]);
        }
        expect(byRow).toEqual(byId);
        if (list === anyRows) visitsAnyRows += byRow.length;
        else visitsBuilt += byRow.length;
      }
    }
    // judged documents were met, on the rows of duplicated ids too
    expect(visitsBuilt).toBeGreaterThan(20);
    expect(visitsAnyRows).toBeGreaterThan(5);
  });

  it('leave no row marked: after a visit that throws, inside a visit of another list, and over a larger corpus', () => {
    const next = seededRandom(19);
    const byId = (list: RankedList, judgments: ReadonlyMap<string, number>) => {
      const visits: Array<[number, number]> = [];
      for (let i = 0; i < list.length; i++) {
        const relevance = judgments.get(list.docId(i));
        if (relevance !== undefined) visits.push([i, relevance]);
      }
      return visits;
    };
    const byRow = (list: RankedList, judgments: ReadonlyMap<string, number>) => {
      const visits: Array<[number, number]> = [];
      list.forEachJudged(judgments, (position, relevance) => visits.push([position, relevance]));
      return visits;
    };
    const judgedOf = (corpus: string[], count: number) => new Map(Array.from({ length: count }, () => [corpus[Math.floor(next() * corpus.length)]!, Math.floor(next() * 3)] as [string, number]));
    const listOf = (corpus: string[]) => buildRankedList({ queryId: 'q', docIndices: null, scores: Float32Array.from(corpus, () => Math.floor(next() * 50)) }, corpus, [], 1000);
    const small = Array.from({ length: 1200 }, (_, i) => `s${i}`);
    const [first, second] = [listOf(small), listOf(small)];
    const [judgedFirst, judgedSecond] = [judgedOf(small, 400), judgedOf(small, 300)];
    // a visit that throws half-way: its marks go with it, or the next list would visit rows it never judged
    expect(() => first.forEachJudged(judgedFirst, () => {
      throw new Error('stop');
    })).toThrow('stop');
    expect(byRow(second, judgedSecond)).toEqual(byId(second, judgedSecond));
    // a list visited inside another's visit: each sees only its own judgments, the outer one to its end
    const outer: Array<[number, number]> = [];
    const inner: Array<Array<[number, number]>> = [];
    first.forEachJudged(judgedFirst, (position, relevance) => {
      outer.push([position, relevance]);
      if (inner.length < 3) inner.push(byRow(second, judgedSecond));
    });
    expect(outer).toEqual(byId(first, judgedFirst));
    expect(inner).toEqual(Array.from({ length: 3 }, () => byId(second, judgedSecond)));
    expect(byRow(first, judgedFirst)).toEqual(outer);
    // a corpus and a list longer than any met before (in this file), every listed document judged
    const large = Array.from({ length: 12000 }, (_, i) => `l${i}`);
    const list = buildRankedList({ queryId: 'q', docIndices: null, scores: Float32Array.from(large, () => Math.floor(next() * 50)) }, large, [], 'all');
    const judgedLarge = new Map(large.map((id, k) => [id, k % 4] as [string, number]));
    expect(byRow(list, judgedLarge)).toEqual(byId(list, judgedLarge));
    expect(byRow(list, judgedLarge).length).toBe(12000);
  });
});

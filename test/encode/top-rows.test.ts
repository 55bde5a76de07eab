import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import { PlainScoreBlock, scoreBlock, type ScoreBlock } from '../../src/retrieval/dense/score-block.js';
import { TopRows } from '../../src/retrieval/dense/top-rows.js';

/** The run order by a full stable sort: score descending, then row ascending. */
function reference(scores: Float32Array, capacity: number): { rows: number[]; scores: number[] } {
  const order = Array.from(scores.keys()).sort((a, b) => (scores[a]! > scores[b]! ? -1 : scores[a]! < scores[b]! ? 1 : a - b));
  const rows = order.slice(0, capacity);
  return { rows, scores: rows.map((row) => scores[row]!) };
}

/**
 * Offers `scores` in blocks of the given sizes (cycled), each block at an offset inside a larger buffer, as rows
 * firstRow, firstRow + 1, ... of a corpus of firstRow + scores.length rows.
 */
function select(scores: Float32Array, capacity: number, blockSizes: number[], firstRow = 0): { rows: number[]; scores: number[] } {
  const top = new TopRows(capacity, firstRow + scores.length);
  // one block reused for every offer, as the search reuses its score matrix; both scans take turns
  const blocks = [scoreBlock(Math.max(...blockSizes) + 7), new PlainScoreBlock(new Float32Array(Math.max(...blockSizes) + 7))];
  let start = 0;
  for (let b = 0; start < scores.length; b++) {
    const rows = Math.min(blockSizes[b % blockSizes.length]!, scores.length - start);
    // the block sits between other values, as a query's row sits in the [queries x rows] score matrix
    const block = blocks[b % 2]!;
    block.values.fill(Infinity);
    block.values.set(scores.subarray(start, start + rows), 3);
    top.offer(block, 3, 3 + rows, firstRow + start);
    start += rows;
  }
  const drained = top.drain();
  return { rows: Array.from(drained.rows, (row) => row - firstRow), scores: Array.from(drained.scores) };
}

function expectSame(scores: Float32Array, capacity: number, blockSizes: number[], firstRow = 0): void {
  const got = select(scores, capacity, blockSizes, firstRow);
  const want = reference(scores, capacity);
  expect(got.rows).toEqual(want.rows);
  // Object.is: -0 and 0 keep their signs as the Gemm wrote them
  expect(got.scores.map((score) => (Object.is(score, -0) ? '-0' : score))).toEqual(want.scores.map((score) => (Object.is(score, -0) ? '-0' : score)));
}

describe('TopRows (floor + buffer cut by a score histogram) equals a full stable sort', () => {
  const next = seededRandom(2024);
  const real = (length: number) => Float32Array.from({ length }, () => next() * 2 - 1);

  it('keeps the best rows of real-valued scores at every depth, across blocks of many sizes', () => {
    const scores = real(20_000);
    for (const capacity of [1, 2, 3, 10, 999, 1000, 1001, 4096, 9999, 19_999, 20_000])
      for (const blocks of [[20_000], [5461], [1000, 1, 37], [1], [3000, 17]]) {
        if (blocks[0] === 1 && capacity > 1000) continue; // row-at-a-time offers: only the small depths (slow)
        expectSame(scores, capacity, blocks);
      }
  });

  it('breaks ties by row at the cut: few distinct scores, thousands of equal ones', () => {
    for (const levels of [1, 2, 3, 50]) {
      const scores = Float32Array.from({ length: 12_000 }, () => Math.floor(next() * levels) - 1);
      for (const capacity of [1, 7, 1000, 5999, 6000, 11_999]) expectSame(scores, capacity, [5461, 333]);
    }
  });

  it('keeps rising scores (every row enters) and falling ones (none after the first cut)', () => {
    const rising = Float32Array.from({ length: 9000 }, (_, i) => i / 7);
    const falling = Float32Array.from({ length: 9000 }, (_, i) => -i / 7);
    for (const capacity of [1, 1000, 4500]) {
      expectSame(rising, capacity, [1234]);
      expectSame(falling, capacity, [1234]);
    }
  });

  it('handles infinite scores, signed zeros and one outlier that stretches the histogram', () => {
    const scores = real(8000).map((value, i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? -0 : value));
    scores[5] = Infinity;
    scores[6000] = Infinity;
    scores[7] = -Infinity;
    scores[3000] = -Infinity;
    for (const capacity of [1, 2, 3, 500, 7997, 7998, 7999, 8000]) expectSame(scores, capacity, [2500, 1]);
    const outlier = real(8000);
    outlier[4000] = 3e38;
    outlier[4001] = -3e38;
    for (const capacity of [1, 300, 3000]) expectSame(outlier, capacity, [1000]);
  });

  it('sorts the same way at rows past 2^21 and 2^31 (the pairs move, only the scores are keys)', () => {
    const scores = Float32Array.from({ length: 6000 }, () => Math.floor(next() * 40) / 8 - 2);
    for (const firstRow of [2 ** 21 - 6000, 2 ** 21 - 3000, 2 ** 21, 2 ** 31])
      for (const capacity of [1, 999, 2500, 6000]) expectSame(scores, capacity, [1700], firstRow);
  });

  it('returns the whole corpus in run order when the depth exceeds it, and nothing for depth 0', () => {
    const scores = real(3000);
    const top = new TopRows(3000, 3000);
    top.offer(new PlainScoreBlock(scores), 0, 3000, 0);
    const drained = top.drain();
    expect(Array.from(drained.rows)).toEqual(reference(scores, 3000).rows);
    expect(select(scores, 0, [700])).toEqual({ rows: [], scores: [] });
  });
});

describe('ScoreBlock.collect: the WebAssembly SIMD scan finds what the JavaScript one finds', () => {
  it('runs as WebAssembly SIMD on this Node', () => {
    expect(scoreBlock(10)).not.toBeInstanceOf(PlainScoreBlock);
  });

  /** Every index collect reports for [from, to), `max` at a time, continuing after the last one as TopRows does. */
  function collected(block: ScoreBlock, from: number, to: number, floor: number, max: number): number[] {
    const all: number[] = [];
    for (let i = from; i < to; ) {
      const found = block.collect(i, to, floor, max);
      all.push(...block.hits.subarray(0, found));
      if (found < max) break;
      i = block.hits[found - 1]! + 1;
    }
    return all;
  }

  it('every start, end, floor and batch size: NaN, signed zeros and infinities in the scores, hits on every lane', () => {
    const next = seededRandom(77);
    const length = 300;
    const simd = scoreBlock(length);
    const plain = new PlainScoreBlock(new Float32Array(length));
    const specials = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.4028234663852886e38];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < length; i++) simd.values[i] = next() < 0.05 ? specials[i % specials.length]! : Math.fround(next() * 2 - 1);
      plain.values.set(simd.values);
      const floors = [-Infinity, Infinity, -0, 0, ...Array.from({ length: 6 }, () => simd.values[Math.floor(next() * length)]!)].filter((floor) => !Number.isNaN(floor));
      for (const floor of floors)
        for (const max of [1, 2, 5, 17, simd.hits.length])
          for (let from = 0; from < 36; from += max === 1 ? 1 : 5)
            for (let to = from; to <= length; to += to < from + 70 ? 1 : 37) expect(collected(simd, from, to, floor, max)).toEqual(collected(plain, from, to, floor, max));
    }
    // the reference itself: every value above the floor and no other, in order
    plain.values.set(Float32Array.from({ length }, (_, i) => (i % 17 === 5 ? 2 : i % 13 === 0 ? NaN : 1)));
    simd.values.set(plain.values);
    const want = Array.from({ length }, (_, i) => i).filter((i) => i % 17 === 5);
    for (const block of [plain, simd]) for (const max of [1, 3, 4096]) expect(collected(block, 0, length, 1, max)).toEqual(want);
    // a block's hits start past its scores: a full hit list leaves the scores as they were
    const many = scoreBlock(5000);
    many.values.fill(1);
    expect(many.collect(0, 5000, 0, many.hits.length)).toBe(Math.min(5000, many.hits.length));
    expect(Array.from(many.hits.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(many.values.every((value) => value === 1)).toBe(true);
  });
});

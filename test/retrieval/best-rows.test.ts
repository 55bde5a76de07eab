import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import { BestRows } from '../../src/retrieval/bm25/best-rows.js';

/** The reference: sort every row by score descending, ties to the lower row, keep `keep`, list in row order. */
function reference(scores: Float32Array, keep: number): number[] {
  return [...scores.keys()]
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, keep)
    .sort((a, b) => a - b);
}

/** `best.select`'s rows, after checking that its scores are those rows' scores, bit for bit, in the same order. */
function selected(best: BestRows, scores: Float32Array, keep: number): number[] {
  const { rows, scores: kept } = best.select(scores, keep);
  const bits = (values: Float32Array) => [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
  expect(bits(kept)).toEqual(bits(Float32Array.from(rows, (row) => scores[row]!)));
  return [...rows];
}

describe('BestRows: the best rows of a score array in BRIGHT order', () => {
  it('equals a full stable sort, with many ties, zeros and scores one ulp apart', () => {
    const random = seededRandom(5);
    const best = new BestRows();
    for (const [n, keep] of [[5000, 1000], [3000, 2999], [2000, 1], [1000, 10], [4000, 3500]] as const) {
      const scores = new Float32Array(n);
      for (let row = 0; row < n; row++) {
        const roll = random();
        // zeros, a few repeated values, near neighbours (same 16-bit bucket), and a spread of magnitudes
        scores[row] = roll < 0.3 ? 0 : roll < 0.5 ? [1.5, 2.25, 7][row % 3]! : roll < 0.7 ? Math.fround(3 + Math.floor(random() * 50) * 2 ** -21) : Math.fround(random() * 40 * 2 ** Math.floor(random() * 8 - 4));
      }
      expect(selected(best, scores, keep)).toEqual(reference(scores, keep));
    }
  });

  it('selects the same rows from a memory prefaulted by the thread pool (random bytes in every region)', async () => {
    const random = seededRandom(11);
    const n = 70001;
    const best = new BestRows();
    await best.prefault(n);
    for (const keep of [1000, 37, 69000]) {
      const scores = Float32Array.from({ length: n }, () => (random() < 0.2 ? 0 : Math.fround(3 + Math.floor(random() * 400) * 2 ** -20)));
      expect(selected(best, scores, keep)).toEqual(reference(scores, keep));
    }
  });

  it("lays out its memory in a shared memory, which V8 does not count as this thread's external memory", async () => {
    // V8 adds an unshared memory's bytes to its old generation until the next full collection (see PostingScores)
    const before = process.memoryUsage().external;
    const best = new BestRows();
    // scores, histogram, kept rows and the bucket's keys of 500k rows: ~10 MB
    await best.prefault(500_000);
    expect(process.memoryUsage().external - before).toBeLessThan(2 << 20);
    const scores = Float32Array.from({ length: 500_000 }, (_, row) => (row * 7919) % 1000);
    expect(selected(best, scores, 10)).toEqual(reference(scores, 10));
  });

  it('keeps every row when asked for as many or more, none for zero, and refuses a negative or NaN score', () => {
    const best = new BestRows();
    const scores = Float32Array.from([0, 2, 1, 2]);
    expect(selected(best, scores, 4)).toEqual([0, 1, 2, 3]);
    expect(selected(best, scores, 9)).toEqual([0, 1, 2, 3]);
    expect(selected(best, scores, 0)).toEqual([]);
    expect(selected(best, Float32Array.from([0, 0, 0, 5, 0]), 3)).toEqual([0, 1, 3]);
    expect(selected(best, Float32Array.from([Infinity, 3, Infinity]), 2)).toEqual([0, 2]);
    expect(() => best.select(Float32Array.from([1, -1, 2]), 1)).toThrow(/negative or NaN/);
    expect(() => best.select(Float32Array.from([1, NaN, 2]), 1)).toThrow(/negative or NaN/);
  });

  it('reuses one instance across score arrays of every size, rows past 2^16 tied in one bucket included', () => {
    const random = seededRandom(11);
    const best = new BestRows();
    for (const [n, keep] of [[70000, 1000], [100, 7], [200000, 31000], [5000, 4999], [70000, 1]] as const) {
      // few distinct values in a narrow range: the keep-th best falls in a bucket of thousands of tied rows
      const scores = Float32Array.from({ length: n }, () => Math.fround(12 + Math.floor(random() * 64) * 2 ** -19));
      expect(selected(best, scores, keep)).toEqual(reference(scores, keep));
    }
  });
});

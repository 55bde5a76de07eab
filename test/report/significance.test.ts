import { describe, expect, it } from 'vitest';
import { pairedPermutationTest, pairedTTest } from '../../src/report/paired-tests.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { studentTCdf, studentTTwoSidedP } from '../../src/report/student-t.js';

// Reference values: scipy 1.17.1, `2 * stats.t.sf(|t|, df)` and `stats.t.cdf(t, df)` (float64 repr).
const SCIPY_T: Array<[t: number, df: number, twoSided: number, cdf: number]> = [
  [0.5, 1, 0.7048327646991335, 0.6475836176504333],
  [2.0, 5, 0.10193947882985835, 0.9490302605850708],
  [-1.3, 12, 0.21801717108351412, 0.10900858554175706],
  [2.228138851986, 10, 0.050000000000023255, 0.9749999999999883],
  [3.5, 102, 0.0006913266118417469, 0.9996543366940791],
  [0.01, 200, 0.992031255153281, 0.5039843724233595],
  [8.0, 30, 6.265822475700759e-9, 0.9999999968670887],
  [25.0, 4, 1.5197525763315734e-5, 0.9999924012371183],
  [1.0, 1000, 0.31755241808467255, 0.8412237909576638],
];

// Per-query nDCG@10 of two made-up runs over 12 queries (three ties, one all-zero pair).
const A = [0.5, 0.0, 0.25, 1.0, 0.0, 0.3868528072345416, 0.1, 0.2, 0.0, 0.6309297535714575, 0.45, 0.33];
const B = [0.6, 0.0, 0.5, 1.0, 0.1, 0.3868528072345416, 0.3, 0.1, 0.0, 0.6309297535714575, 0.2, 0.5];

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('Student-t distribution', () => {
  it.each(SCIPY_T)('t=%d df=%d matches scipy to 1e-11 relative', (t, df, twoSided, cdf) => {
    expect(relativeError(studentTTwoSidedP(t, df), twoSided)).toBeLessThan(1e-11);
    expect(relativeError(studentTCdf(t, df), cdf)).toBeLessThan(1e-11);
  });

  it('is 1 at t = 0 and 0 at infinity', () => {
    expect(studentTTwoSidedP(0, 7)).toBe(1);
    expect(studentTTwoSidedP(Infinity, 7)).toBe(0);
  });
});

describe('paired t-test', () => {
  it('matches scipy.stats.ttest_rel(b, a)', () => {
    const result = pairedTTest(A, B);
    expect(result.df).toBe(11);
    expect(relativeError(result.t, 0.9926735958195426)).toBeLessThan(1e-13);
    expect(relativeError(result.p, 0.3422034563445596)).toBeLessThan(1e-12);
  });

  it('gives p = 1 for identical runs and p = 0 for a constant non-zero shift', () => {
    expect(pairedTTest([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]).p).toBe(1);
    expect(pairedTTest([0.25, 0.5, 0.75], [0.5, 0.75, 1.0]).p).toBe(0);
  });
});

describe('paired permutation test', () => {
  it('enumerates all sign flips for small n: d = 1, 2, 3 -> only the two all-same-sign sums reach |6|', () => {
    const result = pairedPermutationTest([0, 0, 0], [1, 2, 3]);
    expect(result).toMatchObject({ exact: true, rounds: 8, p: 0.25 });
  });

  it('matches scipy.stats.permutation_test (paired, exact, two-sided)', () => {
    expect(pairedPermutationTest(A, B).p).toBe(0.375);
  });

  it('samples with a fixed seed beyond 16 queries: reproducible and close to the exact value', () => {
    const random = seededRandom(123);
    const a = Array.from({ length: 18 }, () => random());
    const b = a.map((value, i) => value + (random() - 0.4) * 0.3 * (i % 3));
    const first = pairedPermutationTest(a, b, { rounds: 20_000, seed: 9 });
    expect(pairedPermutationTest(a, b, { rounds: 20_000, seed: 9 })).toEqual(first);
    expect(first).toMatchObject({ exact: false, rounds: 20_000, seed: 9 });
    // exact p by brute force over the 2^18 sign assignments
    const d = b.map((value, i) => value - a[i]!);
    const observed = Math.abs(d.reduce((sum, value) => sum + value, 0));
    let hits = 0;
    for (let mask = 0; mask < 2 ** 18; mask++) {
      let sum = 0;
      for (let i = 0; i < 18; i++) sum += (mask >> i) & 1 ? -d[i]! : d[i]!;
      if (Math.abs(sum) >= observed - 1e-12) hits++;
    }
    const exact = hits / 2 ** 18;
    expect(exact).toBeGreaterThan(0.001);
    // four standard errors of a 20,000-round estimate
    expect(Math.abs(first.p - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / 20_000));
  });
});

import { seededRandom } from '../core/seeded-random.js';
import { studentTTwoSidedP } from './student-t.js';

export interface TTestResult {
  method: 'paired t-test';
  t: number;
  df: number;
  /** Two-sided. */
  p: number;
}

export interface PermutationResult {
  method: 'paired permutation (sign-flip)';
  /** Two-sided. */
  p: number;
  /** Sign assignments examined; every one of the 2^n when `exact`. */
  rounds: number;
  exact: boolean;
  seed: number | null;
}

function differences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`paired test needs equal lengths (${a.length} vs ${b.length})`);
  return b.map((value, i) => value - a[i]!);
}

/** Paired t-test on b - a; constant differences give p = 1 (all zero) or p = 0 (all equal and non-zero). */
export function pairedTTest(a: readonly number[], b: readonly number[]): TTestResult {
  const d = differences(a, b);
  const n = d.length;
  const df = n - 1;
  if (n < 2) return { method: 'paired t-test', t: Number.NaN, df, p: Number.NaN };
  let sum = 0;
  for (const value of d) sum += value;
  const mean = sum / n;
  let squares = 0;
  for (const value of d) squares += (value - mean) * (value - mean);
  const standardError = Math.sqrt(squares / df / n);
  if (standardError === 0) {
    return { method: 'paired t-test', t: mean === 0 ? 0 : Math.sign(mean) * Infinity, df, p: mean === 0 ? 1 : 0 };
  }
  const t = mean / standardError;
  return { method: 'paired t-test', t, df, p: studentTTwoSidedP(t, df) };
}

export const DEFAULT_ROUNDS = 10_000;
export const DEFAULT_SEED = 42;

/** Up to 2^16 sign assignments are enumerated; beyond that they are sampled. */
const EXACT_LIMIT = 16;

/**
 * Two-sided sign-flip test of the mean difference: under the null each query's difference is as likely to have
 * either sign. Sums that equal the observed one up to rounding count as "at least as extreme", so the identity
 * assignment always counts and p is never 0. Sampled p-values use (hits + 1) / (rounds + 1).
 */
export function pairedPermutationTest(
  a: readonly number[],
  b: readonly number[],
  options: { rounds?: number; seed?: number } = {},
): PermutationResult {
  const d = differences(a, b);
  const n = d.length;
  let observed = 0;
  let scale = 0;
  for (const value of d) {
    observed += value;
    scale += Math.abs(value);
  }
  const threshold = Math.abs(observed) - 1e-12 * scale;
  if (n <= EXACT_LIMIT) {
    const total = 2 ** n;
    let hits = 0;
    for (let mask = 0; mask < total; mask++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += mask & (1 << i) ? -d[i]! : d[i]!;
      if (Math.abs(sum) >= threshold) hits++;
    }
    return { method: 'paired permutation (sign-flip)', p: hits / total, rounds: total, exact: true, seed: null };
  }
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const seed = options.seed ?? DEFAULT_SEED;
  const random = seededRandom(seed);
  let hits = 0;
  for (let round = 0; round < rounds; round++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += random() < 0.5 ? -d[i]! : d[i]!;
    if (Math.abs(sum) >= threshold) hits++;
  }
  return { method: 'paired permutation (sign-flip)', p: (hits + 1) / (rounds + 1), rounds, exact: false, seed };
}

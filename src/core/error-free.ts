/**
 * Error-free transformations of double arithmetic: the exact rounding error of a sum (Knuth's two-sum) or of a
 * product (Dekker's two-product, with Veltkamp's split into halves whose products are exact), so that a + b or
 * a * b is held exactly as two doubles. The exact decimal reader of run files (eval/trec-run-parser.ts) builds on
 * them, and the double-double log (retrieval/bm25/glibc-log.ts) runs the same operations as WebAssembly; every
 * operation and its order is the textbook one.
 */

/** 2^27 + 1: splits a double into two halves of at most 26 bits. */
export const SPLITTER = 134217729;

/** The rounding error of `sum` = fl(a + b): a + b = sum + the result, exactly. */
export function sumError(a: number, b: number, sum: number): number {
  const bVirtual = sum - a;
  return a - (sum - bVirtual) + (b - bVirtual);
}

/** The rounding error of `product` = fl(a * b): a * b = product + the result, exactly (no overflow or underflow). */
export function productError(a: number, b: number, product: number): number {
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

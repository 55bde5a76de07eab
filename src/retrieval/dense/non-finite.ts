import { dataError } from '../../core/errors.js';

/**
 * Throws, naming the source and the row's id, when a vector holds NaN or ±Infinity: one such row makes every score
 * it touches NaN, and the ranking then depends on comparison order rather than on the model.
 */
export function checkFinite(vectors: Float32Array, dim: number, rowId: (row: number) => string, source: string): void {
  // a sum of float32 values cannot overflow a double, so it is finite exactly when every value is: one branch-free
  // pass (four independent sums) decides the common case, the element loop below only finds the offender
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const whole = vectors.length - (vectors.length % 4);
  for (let i = 0; i < whole; i += 4) {
    a += vectors[i]!;
    b += vectors[i + 1]!;
    c += vectors[i + 2]!;
    d += vectors[i + 3]!;
  }
  for (let i = whole; i < vectors.length; i++) a += vectors[i]!;
  if (Number.isFinite(a + b + c + d)) return;
  for (let i = 0; i < vectors.length; i++) {
    const value = vectors[i]!;
    if (value - value !== 0) {
      const row = Math.floor(i / dim);
      throw dataError('embeddings.non_finite', `embeddings: ${source}: the vector of ${rowId(row)} (row ${row}) holds ${value} at dimension ${i % dim}; regenerate it (a model that produces NaN needs another dtype or device)`);
    }
  }
}

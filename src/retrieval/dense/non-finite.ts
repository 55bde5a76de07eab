import { dataError } from '../../core/errors.js';

/**
 * Throws, naming the source and the row's id, when a vector holds NaN or ±Infinity: one such row makes every score
 * it touches NaN, and the ranking then depends on comparison order rather than on the model.
 */
export function checkFinite(vectors: Float32Array, dim: number, rowId: (row: number) => string, source: string): void {
  for (let i = 0; i < vectors.length; i++) {
    const value = vectors[i]!;
    if (value - value !== 0) {
      const row = Math.floor(i / dim);
      throw dataError('embeddings.non_finite', `embeddings: ${source}: the vector of ${rowId(row)} (row ${row}) holds ${value} at dimension ${i % dim}; regenerate it (a model that produces NaN needs another dtype or device)`);
    }
  }
}

import type { Pooling } from './model-config.js';

/**
 * The positions a pooling mode averages, for one right-padded row of `length` tokens: [start, end).
 * cls: the first token; last_token: position sum(mask)-1 (BRIGHT last_token_pool with right padding);
 * mean: every token; mean_excluding_instruction: tokens after the `skip` instruction positions.
 * Returns null when nothing is left to pool.
 */
export function poolingSpan(mode: Pooling, length: number, skip: number): [number, number] | null {
  if (length === 0) return null;
  switch (mode) {
    case 'cls':
      return [0, 1];
    case 'last_token':
      return [length - 1, length];
    case 'mean':
      return [0, length];
    case 'mean_excluding_instruction':
      return skip < length ? [skip, length] : null;
  }
}

/**
 * Averages hidden[row, start:end, :] of a [rows, sequence, dim] tensor into out[offset:offset+dim], in float64
 * (the references are float64; the runtime is float32 either way).
 */
export function poolRow(hidden: Float32Array, row: number, sequence: number, dim: number, span: [number, number], out: Float32Array, offset: number): void {
  const sums = new Float64Array(dim);
  for (let position = span[0]; position < span[1]; position++) {
    const base = (row * sequence + position) * dim;
    for (let j = 0; j < dim; j++) sums[j]! += hidden[base + j]!;
  }
  const count = span[1] - span[0];
  for (let j = 0; j < dim; j++) out[offset + j] = sums[j]! / count;
}

/** In-place L2 normalisation of vector[offset:offset+dim] with torch F.normalize's eps of 1e-12. */
export function normalizeInPlace(vector: Float32Array, offset: number, dim: number): void {
  let squares = 0;
  for (let j = 0; j < dim; j++) squares += vector[offset + j]! * vector[offset + j]!;
  const norm = Math.max(Math.sqrt(squares), 1e-12);
  for (let j = 0; j < dim; j++) vector[offset + j] = vector[offset + j]! / norm;
}

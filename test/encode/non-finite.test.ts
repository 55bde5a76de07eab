import { describe, expect, it } from 'vitest';
import { checkFinite } from '../../src/retrieval/dense/non-finite.js';

describe('checkFinite', () => {
  const dim = 3;
  const rowId = (row: number) => `doc-${row}`;

  it('passes finite vectors, the largest float32 values included', () => {
    const max = 3.4028234663852886e38;
    expect(() => checkFinite(Float32Array.from([max, max, max, -max, -max, -max, 0, -0, 1]), dim, rowId, 'f')).not.toThrow();
    expect(() => checkFinite(new Float32Array(0), dim, rowId, 'f')).not.toThrow();
  });

  for (const [bad, at] of [[Number.NaN, 4], [Infinity, 6], [-Infinity, 0], [Number.NaN, 8]] as const) {
    it(`names the row and dimension of ${bad} at index ${at}`, () => {
      const vectors = Float32Array.from({ length: 9 }, (_, i) => i - 4);
      vectors[at] = bad;
      expect(() => checkFinite(vectors, dim, rowId, 'emb.npy')).toThrow(
        expect.objectContaining({ code: 'data.embeddings.non_finite', message: expect.stringContaining(`doc-${Math.floor(at / dim)} (row ${Math.floor(at / dim)}) holds ${bad} at dimension ${at % dim}`) }),
      );
    });
  }

  it('finds +Infinity and -Infinity in one matrix (their sum is NaN)', () => {
    expect(() => checkFinite(Float32Array.from([1, Infinity, 2, -Infinity, 0]), 5, rowId, 'f')).toThrow(/holds Infinity at dimension 1/);
  });
});

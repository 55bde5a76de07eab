import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/encode/ort-backend.js';
import { blockRowsFor, exactTopK, type DocumentBlock } from '../../src/retrieval/dense/exact-search.js';
import { buildScoreGraph } from '../../src/retrieval/dense/score-graph.js';
import { seededRandom } from '../../src/core/seeded-random.js';

/** Small-integer vectors: every dot product is an exact integer in float32, so a JS reference is bit-exact, and ties abound. */
function integerMatrix(rows: number, dim: number, seed: number, levels = 3): Float32Array {
  let state = seed;
  return Float32Array.from({ length: rows * dim }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state % (2 * levels + 1)) - levels;
  });
}

function reference(queries: Float32Array, docs: Float32Array, dim: number, q: number, needed: number, scale: number) {
  const rows = docs.length / dim;
  const scored = Array.from({ length: rows }, (_, row) => {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += queries[q * dim + j]! * docs[row * dim + j]!;
    return { row, score: scale === 1 ? Math.fround(dot) : Math.fround(Math.fround(dot) * scale) };
  });
  scored.sort((a, b) => b.score - a.score || a.row - b.row);
  return scored.slice(0, needed);
}

async function* blocksOf(docs: Float32Array, dim: number, blockRows: number): AsyncIterable<DocumentBlock> {
  const total = docs.length / dim;
  for (let start = 0; start < total; start += blockRows) {
    const rows = Math.min(blockRows, total - start);
    yield { start, rows, vectors: docs.slice(start * dim, (start + rows) * dim) };
  }
}

describe('exact top-k (ONNX Gemm, best rows kept per query)', () => {
  const dim = 8;
  const rowsTotal = 1500;
  const queryCount = 24;
  const docs = integerMatrix(rowsTotal, dim, 7, 1); // values in {-1,0,1}: thousands of tied scores
  const queries = integerMatrix(queryCount, dim, 99, 2);
  // the first query asks for more rows than the corpus has (--top-k all with exclusions)
  const needed = Array.from({ length: queryCount }, (_, q) => (q === 0 ? rowsTotal + 3 : 1 + ((q * 37) % 120)));

  for (const [blockRows, scale] of [[97, 1], [1500, 1], [64, 100], [5000, 1]] as const) {
    it(`equals the (score desc, row asc) reference with blocks of ${blockRows} rows, score scale ${scale}`, async () => {
      const tops = await exactTopK({
        queries,
        queryCount,
        dim,
        totalRows: rowsTotal,
        needed,
        scoreScale: scale,
        device: { kind: 'cpu', deviceId: 0 },
        blocks: () => blocksOf(docs, dim, blockRows),
      });
      for (let q = 0; q < queryCount; q++) {
        const expected = reference(queries, docs, dim, q, needed[q]!, scale);
        expect(Array.from(tops[q]!.rows)).toEqual(expected.map((entry) => entry.row));
        expect(Array.from(tops[q]!.scores)).toEqual(expected.map((entry) => entry.score));
      }
    });
  }

  it('keeps exactly the best rows of real-valued scores at every depth (selections across many blocks)', async () => {
    const realDim = 16;
    const rows = 3000;
    const count = 5;
    const next = seededRandom(11);
    const realDocs = Float32Array.from({ length: rows * realDim }, () => next() - 0.5);
    // a few exact duplicates: equal scores on different rows
    realDocs.copyWithin(1234 * realDim, 17 * realDim, 18 * realDim);
    realDocs.copyWithin(2999 * realDim, 17 * realDim, 18 * realDim);
    const realQueries = Float32Array.from({ length: count * realDim }, () => next() - 0.5);
    // the reference ranks the same Gemm's scores (the selection is under test here, not the arithmetic)
    const gemm = await openModel(buildScoreGraph(realDim), { kind: 'cpu', deviceId: 0 });
    const all = new Float32Array(count * rows);
    await gemm.run(
      { queries: { type: 'float32', data: realQueries, dims: [count, realDim] }, documents: { type: 'float32', data: realDocs, dims: [rows, realDim] } },
      { scores: { data: all, dims: [count, rows] } },
    );
    await gemm.release();
    const depths = [1, 2, 7, 600, rows - 1];
    const tops = await exactTopK({
      queries: realQueries,
      queryCount: count,
      dim: realDim,
      totalRows: rows,
      needed: depths,
      scoreScale: 1,
      device: { kind: 'cpu', deviceId: 0 },
      blocks: () => blocksOf(realDocs, realDim, 251),
    });
    for (let q = 0; q < count; q++) {
      const order = Array.from({ length: rows }, (_, row) => row).sort((a, b) => all[q * rows + b]! - all[q * rows + a]! || a - b);
      expect(Array.from(tops[q]!.rows)).toEqual(order.slice(0, depths[q]));
      expect(Array.from(tops[q]!.scores)).toEqual(order.slice(0, depths[q]).map((row) => all[q * rows + row]!));
    }
  });

  it('fails loudly when the blocks hold fewer rows than the corpus', async () => {
    await expect(
      exactTopK({ queries, queryCount, dim, totalRows: rowsTotal + 1, needed, scoreScale: 1, device: { kind: 'cpu', deviceId: 0 }, blocks: () => blocksOf(docs, dim, 500) }),
    ).rejects.toMatchObject({ code: 'data.embeddings.row_count' });
  });

  it('bounds the block size by memory: small reused blocks on the CPU, large ones on a GPU', () => {
    expect(blockRowsFor(768, 142)).toBe(Math.floor((1 << 22) / 768));
    expect(blockRowsFor(64, 100_000)).toBe(Math.floor((1 << 22) / 100_000));
    expect(blockRowsFor(768, 142, 'cuda')).toBe(Math.floor((1 << 25) / 768));
  });
});

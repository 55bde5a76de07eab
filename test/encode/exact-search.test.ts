import { describe, expect, it, vi } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { openModel } from '../../src/encode/ort-backend.js';
import { BlockSearch, openSearchGemm, type BlockSearchSetup } from '../../src/retrieval/dense/block-search.js';
import { blockRowsFor, exactTopK, type DocumentBlock } from '../../src/retrieval/dense/exact-search.js';
import { buildScoreGraph } from '../../src/retrieval/dense/score-graph.js';
import { SearchHelper } from '../../src/retrieval/dense/search-helper.js';
import { mergeTopLists } from '../../src/retrieval/dense/top-rows.js';
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

/**
 * The blocks at a walk, 50 ms apart until the helper thread has taken one (it takes ~0.1-1 s to start, by the
 * machine's load), 5 ms apart after, so that both threads score some; `taken` records SearchHelper.take's answers.
 */
async function* slowly(blocks: AsyncIterable<DocumentBlock>, taken: boolean[]): AsyncIterable<DocumentBlock> {
  for await (const block of blocks) {
    yield block;
    await delay(taken.includes(true) ? 5 : 50);
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

  for (const [blockRows, scale, helper] of [[97, 1, false], [1500, 1, false], [64, 100, false], [5000, 1, false], [16, 1, true], [23, 100, true]] as const) {
    it(`equals the (score desc, row asc) reference with blocks of ${blockRows} rows, score scale ${scale}${helper ? ', a helper thread' : ''}`, { timeout: 30_000 }, async () => {
      const taken: boolean[] = [];
      const take = SearchHelper.prototype.take;
      const spy = vi.spyOn(SearchHelper.prototype, 'take').mockImplementation(function (this: SearchHelper, ...args) {
        const given = take.apply(this, args);
        taken.push(given);
        return given;
      });
      const tops = await exactTopK({
        queries,
        queryCount,
        dim,
        totalRows: rowsTotal,
        needed,
        scoreScale: scale,
        device: { kind: 'cpu', deviceId: 0 },
        helper,
        // with a helper, blocks come slowly enough for it to start and take some of them
        blocks: helper ? () => slowly(blocksOf(docs, dim, blockRows), taken) : () => blocksOf(docs, dim, blockRows),
      });
      spy.mockRestore();
      // the helper took blocks (a search with the default choice never starts one this small)
      expect(taken.includes(true)).toBe(helper);
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

  it('a helper thread keeps its blocks\' best rows exactly as the main thread does; the two merge into the full order', async () => {
    const realDim = 16;
    const rows = 3000;
    const count = 4;
    const blockRows = 251;
    const next = seededRandom(12);
    const realDocs = Float32Array.from({ length: rows * realDim }, () => next() - 0.5);
    // equal scores on rows of blocks the two threads share out: the merge breaks the tie by row
    for (const row of [300, 777, 2999]) realDocs.copyWithin(row * realDim, 17 * realDim, 18 * realDim);
    const realQueries = Float32Array.from({ length: count * realDim }, () => next() - 0.5);
    const device = { kind: 'cpu', deviceId: 0 } as const;
    const gemm = await openSearchGemm(realDim, device, 1);
    const all = new Float32Array(count * rows);
    await gemm.run(
      { queries: { type: 'float32', data: realQueries, dims: [count, realDim] }, documents: { type: 'float32', data: realDocs, dims: [rows, realDim] } },
      { scores: { data: all, dims: [count, rows] } },
    );
    const capacities = [1, 5, 600, rows];
    const setup: BlockSearchSetup = { queries: realQueries, queryCount: count, dim: realDim, capacities, totalRows: rows, scoreScale: 1, blockRows };
    const main = new BlockSearch(gemm, setup);
    const helper = SearchHelper.begin(setup, 1);
    try {
      let b = 0;
      for await (const block of blocksOf(realDocs, realDim, blockRows)) {
        // blocks 1, 2, 4, 5, 7, ... to the helper (waiting for a free buffer), the rest scored here
        if (b++ % 3 === 0) await main.add(block.start, block.rows, block.vectors);
        else while (!helper.take(block, realDim)) await delay(2);
      }
      const theirs = (await helper.finish())!;
      const mine = main.drain();
      for (let q = 0; q < count; q++) {
        const order = Array.from({ length: rows }, (_, row) => row).sort((x, y) => all[q * rows + y]! - all[q * rows + x]! || x - y);
        const merged = mergeTopLists(mine[q]!, theirs[q]!, capacities[q]!);
        expect(Array.from(merged.rows)).toEqual(order.slice(0, capacities[q]));
        expect(Array.from(merged.scores)).toEqual(order.slice(0, capacities[q]).map((row) => all[q * rows + row]!));
        // each side holds only its own blocks' rows
        expect(Array.from(theirs[q]!.rows).every((row) => Math.floor(row / blockRows) % 3 !== 0)).toBe(true);
      }
      // a helper that returned its result serves the next search; one ended halfway does not
      await helper.end();
      const next = SearchHelper.begin(setup, 1);
      expect(next).toBe(helper);
      // its buffers came back before its result: it takes a block at once
      expect(next.take({ start: 0, rows: blockRows, vectors: realDocs.subarray(0, blockRows * realDim) }, realDim)).toBe(true);
      await next.end();
      const fresh = SearchHelper.begin(setup, 1);
      expect(fresh).not.toBe(helper);
      await fresh.end();
    } finally {
      await Promise.all([helper.end(), gemm.release()]);
    }
  });

  it('a search that gave its helper no block (still starting) neither waits for it nor keeps it', async () => {
    const setup: BlockSearchSetup = { queries, queryCount, dim, capacities: needed.map((n) => Math.min(n, rowsTotal)), totalRows: rowsTotal, scoreScale: 1, blockRows: 64 };
    const helper = SearchHelper.begin(setup, 1);
    expect(helper.finish()).toBeUndefined();
    await helper.end();
    const next = SearchHelper.begin(setup, 1);
    expect(next).not.toBe(helper);
    await next.end();
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

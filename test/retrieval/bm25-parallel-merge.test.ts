import { describe, expect, it } from 'vitest';
import { chunkPostings, type ChunkPostings } from '../../src/retrieval/bm25/chunk-postings.js';
import { AnalyzedIndexBuilder, type BuilderOptions } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { Vocabulary } from '../../src/retrieval/bm25/vocabulary.js';
import { chunksOfTokens, comparable } from './bm25-index-builds.js';

/** Documents of a few tokens drawn from a skewed vocabulary (new terms keep coming), some with a tf above 255. */
function corpus(documents: number, seed: number): string[][] {
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: documents }, (_, doc) => {
    const tokens = Array.from({ length: 1 + Math.floor(random() * 8) }, () => `m${Math.floor(30_000 * random() ** 3).toString(36)}`);
    return doc % 9973 === 5 ? [...tokens, ...Array.from({ length: 300 }, () => 'often')] : tokens;
  });
}

function build(chunks: readonly ChunkPostings[], documents: number, options: BuilderOptions, pruneAt?: number): AnalyzedIndexBuilder {
  const builder = new AnalyzedIndexBuilder(pruneAt, documents, options);
  for (const chunk of chunks) builder.add(chunk);
  return builder;
}

/** Whether a chunk's postings were moved to another thread (a transferred buffer is detached here). */
const moved = (chunk: ChunkPostings) => chunk.postingDocs.length === 0 && chunk.termOffsets.length === 0;

describe('BM25 index postings laid out on two threads (finishInParallel)', () => {
  for (const documents of [20_000, 70_000]) {
    it(`lays out the same postings as one thread, the later chunks' by the worker (${documents} documents)`, async () => {
      const tokens = corpus(documents, documents);
      const postings = () => chunksOfTokens(tokens, 1700).map((chunk) => chunkPostings(chunk));
      const expected = build(postings(), documents, {}).finish();
      const chunks = postings();
      const index = await build(chunks, documents, { threads: 2, parallelPostings: 1 }).finishInParallel();
      expect(comparable(index)).toEqual(comparable(expected));
      // the terms' lookup table, built while the worker copied, is the one the finished vocabulary makes
      expect(index.vocabulary.slots).toEqual(new Vocabulary(index.vocabulary.units, index.vocabulary.offsets).slots);
      expect(index.postingDocs).toBeInstanceOf(documents > 65_536 ? Uint32Array : Uint16Array);
      // the chunks from the corpus's middle row on went to the worker, the earlier ones stayed
      const middle = chunks.findIndex((_, c) => 2 * c * 1700 >= documents);
      expect(chunks.map(moved)).toEqual(chunks.map((_, c) => c >= middle));
    });
  }

  it('copies the arrays that are views of a larger buffer, or of one an earlier chunk uses, instead of moving them', async () => {
    const documents = 9_000;
    const tokens = corpus(documents, 7);
    const postings = () => chunksOfTokens(tokens, 1000).map((chunk) => chunkPostings(chunk));
    const expected = build(postings(), documents, {}).finish();
    // every chunk's posting rows in one buffer, as a deserializer may give them
    const chunks = postings();
    const rows = chunks.reduce((sum, chunk) => sum + chunk.postingDocs.length, 0);
    const shared = new Uint16Array(rows);
    let at = 0;
    for (const chunk of chunks) {
      shared.set(chunk.postingDocs, at);
      chunk.postingDocs = shared.subarray(at, (at += chunk.postingDocs.length));
    }
    const index = await build(chunks, documents, { threads: 2, parallelPostings: 1 }).finishInParallel();
    expect(comparable(index)).toEqual(comparable(expected));
    expect(chunks.every((chunk) => chunk.postingDocs.length > 0)).toBe(true);
    expect(chunks.at(-1)!.termOffsets.length).toBe(0);
  });

  it('stays on this thread below the size that pays, with one thread, and once a prune replays the chunks', async () => {
    const documents = 30_000;
    const tokens = corpus(documents, 3);
    const postings = () => chunksOfTokens(tokens, 2500).map((chunk) => chunkPostings(chunk));
    for (const [options, pruneAt] of [[{ threads: 2 }], [{ threads: 1, parallelPostings: 1 }], [{ threads: 2, parallelPostings: 1 }, 2_000]] as const) {
      const expected = build(postings(), documents, {}, pruneAt).finish();
      const chunks = postings();
      const index = await build(chunks, documents, options, pruneAt).finishInParallel();
      expect(comparable(index)).toEqual(comparable(expected));
      expect(chunks.some(moved)).toBe(false);
    }
  });
});

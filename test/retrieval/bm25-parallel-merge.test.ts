import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalysisWorkers } from '../../src/retrieval/bm25/analysis-workers.js';
import { chunkPostings, type ChunkPostings } from '../../src/retrieval/bm25/chunk-postings.js';
import { AnalyzedIndexBuilder, type AnalyzedIndex, type BuilderOptions } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { Vocabulary } from '../../src/retrieval/bm25/vocabulary.js';
import { chunksOfTokens, comparable, postingCfs, sumInOrder } from './bm25-index-builds.js';

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

/** The total of the cfs the index must carry, whichever threads laid out its postings: each term's tfs, summed. */
const summedCfs = (index: AnalyzedIndex) => sumInOrder(postingCfs(index));

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
      // what the search workers read, shared with them whichever way the index was finished (sendIndex copies none)
      for (const built of [index, expected]) expect([built.df, built.docLengths, built.termOffsets].map((array) => array.buffer instanceof SharedArrayBuffer)).toEqual([true, true, true]);
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

describe('BM25 index postings copied by the idle analysis workers (finishInParallel with helpers)', () => {
  const analysis = new AnalysisWorkers(2);
  afterAll(() => analysis.terminate());
  const documents = 20_000;
  const tokens = corpus(documents, 11);
  const postings = () => chunksOfTokens(tokens, 1700).map((chunk) => chunkPostings(chunk));
  const middle = postings().findIndex((_, c) => 2 * c * 1700 >= documents);

  it('two helpers: each copies one half, every chunk moves, and the index is the one thread lays out', async () => {
    const expected = build(postings(), documents, {}).finish();
    // more than once: a helper's listeners go with its reply, and it takes the next request as the first
    for (let round = 0; round < 2; round++) {
      const chunks = postings();
      // below the size from which a merge worker is started: helpers are used whatever the size
      const index = await build(chunks, documents, { threads: 2 }).finishInParallel(analysis.workers);
      expect(comparable(index)).toEqual(comparable(expected));
      // the postings the two helpers laid out add up to the total the index carries
      expect(index.cfSum).toBe(summedCfs(index));
      expect(index.vocabulary.slots).toEqual(new Vocabulary(index.vocabulary.units, index.vocabulary.offsets).slots);
      expect(chunks.every(moved)).toBe(true);
      for (const worker of analysis.workers) expect(worker.listenerCount('message')).toBe(0);
    }
  });

  it('one helper: it copies the later half, this thread the earlier', async () => {
    const expected = build(postings(), documents, {}).finish();
    const chunks = postings();
    const index = await build(chunks, documents, { threads: 2 }).finishInParallel(analysis.workers.slice(0, 1));
    expect(comparable(index)).toEqual(comparable(expected));
    expect(index.cfSum).toBe(summedCfs(index));
    expect(chunks.map(moved)).toEqual(chunks.map((_, c) => c >= middle));
  });

  it.each([
    ['fails its request', `parentPort.on('message', () => parentPort.postMessage({ error: 'no room' }))`, /^BM25 merge worker: no room$/],
    ['exits', `parentPort.on('message', () => process.exit(5))`, /^BM25 merge worker exited with code 5 before finishing$/],
  ])('a helper that %s: the build rejects with it (never waits on it for ever)', async (_, script, message) => {
    const standIn = new Worker(`const { parentPort } = require('node:worker_threads'); ${script}`, { eval: true });
    standIn.unref();
    try {
      const builder = build(postings(), documents, { threads: 2 });
      await expect(builder.finishInParallel([analysis.workers[0]!, standIn])).rejects.toThrow(message);
      // the helper that succeeded keeps no listener of the merge
      expect(analysis.workers[0]!.listenerCount('message')).toBe(0);
    } finally {
      await standIn.terminate();
    }
  });

  it('a helper that fails while the other still copies: the build rejects once the other has answered too', async () => {
    const failing = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => parentPort.postMessage({ error: 'no room' }))`, { eval: true });
    // answers a second after its request: the build must not be over (and stop listening) before then
    const slow = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => setTimeout(() => parentPort.postMessage({ done: true }), 1000))`, { eval: true });
    try {
      const builder = build(postings(), documents, { threads: 2 });
      const rejected = builder.finishInParallel([slow, failing]).then(
        () => null,
        (error: unknown) => error,
      );
      const answered = new Promise((resolve) => slow.once('message', resolve));
      const first = await Promise.race([rejected.then(() => 'rejected'), answered.then(() => 'answered')]);
      expect(first).toBe('answered');
      expect(String(await rejected)).toMatch(/BM25 merge worker: no room$/);
      expect(slow.listenerCount('message')).toBe(0);
    } finally {
      await Promise.all([failing.terminate(), slow.terminate()]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { Candidates, Query, TaskContext } from '../../src/core/types.js';
import { HarnessError } from '../../src/core/errors.js';
import { noProgress } from '../../src/core/progress.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { analyze } from '../../src/retrieval/analyzer/analyze.js';
import { Bm25Retriever, type Bm25Index } from '../../src/retrieval/bm25/bm25-retriever.js';
import type { AnalyzedIndex } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { LuceneBm25Model } from '../../src/retrieval/bm25/lucene-bm25-model.js';
import { searchesInParallel, searchInWorkers, sendIndex, startSearchWorkers, type SearchMessage } from '../../src/retrieval/bm25/parallel-search.js';
import type { Worker } from 'node:worker_threads';
import { Vocabulary } from '../../src/retrieval/bm25/vocabulary.js';

const context: TaskContext = { task: 'parallel', dataset: { repo: 'local', revision: 'local', corpusSha256: 'parallel' }, long: false, progress: noProgress };

/**
 * A synthetic index large enough for the parallel search (2^18 documents x 130 queries): Zipf-like postings over a few
 * dozen terms, term frequencies 1-4 and lengths from the postings, so that many scores tie. Built directly: analyzing
 * a corpus this size would take most of the test's time, and the search reads nothing else.
 */
function syntheticIndex(shared: boolean): AnalyzedIndex {
  const random = seededRandom(5);
  const numDocs = 1 << 18;
  const terms = Array.from(new Set(Array.from({ length: 60 }, (_, i) => analyze(`word${i}q`)[0]!)));
  const docs: number[] = [];
  const tfs: number[] = [];
  const termOffsets = [0];
  // a built index's documents' lengths and dfs are shared too (sendIndex sends them as they are)
  const docLengths = new Uint32Array(shared ? new SharedArrayBuffer(4 * numDocs) : new ArrayBuffer(4 * numDocs));
  const df = new Uint32Array(shared ? new SharedArrayBuffer(4 * terms.length) : new ArrayBuffer(4 * terms.length));
  let cfSum = 0;
  terms.forEach((_, term) => {
    for (let doc = 0; doc < numDocs; doc++) {
      if (random() * (term + 1) >= 1) continue;
      const tf = 1 + Math.floor(random() * 4);
      docs.push(doc);
      tfs.push(tf);
      docLengths[doc]! += tf;
      df[term]!++;
      cfSum += tf;
    }
    termOffsets.push(docs.length);
  });
  const array = <T extends Uint8Array | Uint32Array>(Type: { new (buffer: ArrayBufferLike): T; BYTES_PER_ELEMENT: number }, values: ArrayLike<number>): T => {
    const bytes = values.length * Type.BYTES_PER_ELEMENT;
    const typed = new Type(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    typed.set(values);
    return typed;
  };
  const offsets = new Uint32Array(terms.length + 1);
  terms.forEach((term, id) => (offsets[id + 1] = offsets[id]! + term.length));
  const units = new Uint16Array(offsets[terms.length]!);
  terms.forEach((term, id) => [...term].forEach((char, i) => (units[offsets[id]! + i] = char.charCodeAt(0))));
  return {
    numDocs,
    numPos: cfSum,
    numNnz: docs.length,
    vocabulary: new Vocabulary(units, offsets),
    df,
    docLengths,
    termOffsets: array(Uint32Array, termOffsets),
    postingDocs: array(Uint32Array, docs),
    postingTfs: array(Uint8Array, tfs),
    cfSum,
  };
}

function syntheticQueries(count: number): Query[] {
  const random = seededRandom(9);
  return Array.from({ length: count }, (_, i) => ({
    id: `q${i}`,
    // word60q and up are in no document; some queries repeat terms, one has no known term at all
    text: i === 7 ? 'nothing known here' : Array.from({ length: 1 + Math.floor(random() * 12) }, () => `word${Math.floor(random() * 64)}q`).join(' '),
    goldIds: [],
    goldIdsLong: [],
    excludedIds: Array.from({ length: Math.floor(random() * 40) }, () => `d${Math.floor(random() * 100)}`),
  }));
}

async function collect(candidates: AsyncIterable<Candidates>): Promise<Candidates[]> {
  const all: Candidates[] = [];
  for await (const item of candidates) all.push(item);
  return all;
}

const bytes = (array: ArrayBufferView | null) => (array === null ? null : Buffer.from(array.buffer, array.byteOffset, array.byteLength));

function expectSame(actual: Candidates[], expected: Candidates[]): void {
  expect(actual.map((c) => c.queryId)).toEqual(expected.map((c) => c.queryId));
  actual.forEach((item, i) => {
    expect(bytes(item.docIndices)?.equals(bytes(expected[i]!.docIndices)!) ?? expected[i]!.docIndices === null).toBe(true);
    expect(bytes(item.scores)!.equals(bytes(expected[i]!.scores)!)).toBe(true);
  });
}

describe('BM25 search on several threads', () => {
  const shared = syntheticIndex(true);
  const plain = syntheticIndex(false);
  const queries = syntheticQueries(130);
  const tokensOf = (query: number) => analyze(queries[query]!.text);

  it('sends each worker the shared arrays as they are, and a copy of its own of the others (alone, not their whole buffer)', () => {
    const sent: SearchMessage[] = [];
    const worker = { postMessage: (message: SearchMessage) => sent.push(message) } as unknown as Worker;
    sendIndex([worker, worker], shared, 0.9, 0.4);
    // as a cache file is read: every section a view of one buffer
    const file = new ArrayBuffer(4 * (plain.df.length + plain.docLengths.length + 8));
    const fromFile = { ...plain, df: new Uint32Array(file, 16, plain.df.length), docLengths: new Uint32Array(file, 16 + 4 * plain.df.length, plain.docLengths.length) };
    fromFile.df.set(plain.df);
    fromFile.docLengths.set(plain.docLengths);
    sendIndex([worker], fromFile, 0.9, 0.4);
    const postings = sent.map((message) => ('search' in message ? message.search.postings : null)!);
    for (const { df, docLengths, termOffsets } of postings.slice(0, 2)) {
      expect([df, docLengths, termOffsets]).toEqual([shared.df, shared.docLengths, shared.termOffsets]);
      expect(df === shared.df && docLengths === shared.docLengths).toBe(true);
    }
    const { df, docLengths } = postings[2]!;
    expect([df, docLengths]).toEqual([plain.df, plain.docLengths]);
    expect([df.buffer.byteLength, docLengths.buffer.byteLength, df.buffer === file]).toEqual([df.byteLength, docLengths.byteLength, false]);
  });

  it('is chosen only for a large search over postings on SharedArrayBuffers, with several threads', () => {
    expect(searchesInParallel(shared, 130, 2)).toBe(true);
    expect(searchesInParallel(plain, 130, 2)).toBe(false);
    expect(searchesInParallel(shared, 130, 1)).toBe(false);
    expect(searchesInParallel(shared, 60, 2)).toBe(false);
  });

  it('yields, in query order, byte for byte the candidates of the single-thread search (subsets and full score arrays)', async () => {
    for (const [depth, duplicatedIds] of [[100, false], [1, false], [10, true]] as const) {
      const single = await collect(new Bm25Retriever({ cacheDir: null, threads: 2 }).search({ analyzed: plain, duplicatedIds } satisfies Bm25Index, queries, depth, context));
      const parallel = await collect(new Bm25Retriever({ cacheDir: null, threads: 2 }).search({ analyzed: shared, duplicatedIds }, queries, depth, context));
      expect(single).toHaveLength(130);
      expect(single[0]!.docIndices === null).toBe(duplicatedIds);
      // the subsets are not trivial: ties at their edge, and more than depth rows where excluded ids are listed
      if (!duplicatedIds) expect(single.some((c) => c.docIndices!.length > depth)).toBe(true);
      expectSame(parallel, single);
      // three threads: a different share of the queries per worker, the same candidates
      expectSame(await collect(new Bm25Retriever({ cacheDir: null, threads: 3 }).search({ analyzed: shared, duplicatedIds }, queries, depth, context)), single);
    }
  });

  it('rejects with a worker\'s error and stops its workers', async () => {
    const model = new LuceneBm25Model(shared, 0.9, 0.4);
    // a negative quota makes BestRows allocate a negative length in the worker
    await expect(collect(searchInWorkers(model, queries, () => -1, startSearchWorkers(model, 2), { tokensOf }))).rejects.toThrow(RangeError);
  });

  it('stops when the caller stops early or the run is interrupted', async () => {
    const model = new LuceneBm25Model(shared, 0.9, 0.4);
    for await (const first of searchInWorkers(model, queries, () => 10, startSearchWorkers(model, 2), { tokensOf })) {
      expect(first.queryId).toBe('q0');
      break;
    }
    const controller = new AbortController();
    const seen: string[] = [];
    const interrupted = (async () => {
      for await (const item of searchInWorkers(model, queries, () => 10, startSearchWorkers(model, 2), { tokensOf, signal: controller.signal })) {
        seen.push(item.queryId);
        controller.abort();
      }
    })();
    await expect(interrupted).rejects.toBeInstanceOf(HarnessError);
    expect(seen).toEqual(['q0']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryCorpus } from '../../src/core/corpus-source.js';
import type { Candidates, Query, TaskContext } from '../../src/core/types.js';
import { noProgress } from '../../src/core/progress.js';
import { Bm25Retriever } from '../../src/retrieval/bm25/bm25-retriever.js';
import { goldenCorpusRows as rows, goldenQueries } from './bm25-golden.js';

/** The golden queries six times over: 378 x 2970 documents, enough scores for the analysis workers to rank them. */
const manyQueries = Array.from({ length: 6 }, (_, round) => goldenQueries.map((query) => ({ ...query, id: `${query.id}#${round}` }))).flat();
const context: TaskContext = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };

async function collect(candidates: AsyncIterable<Candidates>): Promise<Candidates[]> {
  const all: Candidates[] = [];
  for await (const item of candidates) all.push(item);
  return all;
}

const bytes = (array: ArrayBufferView) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

function expectSame(actual: Candidates[], expected: Candidates[]): void {
  expect(actual.map((c) => c.queryId)).toEqual(expected.map((c) => c.queryId));
  actual.forEach((item, i) => {
    const want = expected[i]!;
    expect(item.docIndices === null ? want.docIndices === null : bytes(item.docIndices).equals(bytes(want.docIndices!))).toBe(true);
    expect(bytes(item.scores).equals(bytes(want.scores))).toBe(true);
  });
}

/**
 * A cold run (no cached index, the analysis workers started by prefetch) searched to the end, with the messages sent
 * to worker threads recorded: which workers analyzed chunks, which were sent the index to rank against.
 */
async function coldSearch(ids: string[], queries: Query[]): Promise<{ candidates: Candidates[]; analyzing: Set<Worker>; searching: Set<Worker> }> {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-search-workers-'));
  const posted = vi.spyOn(Worker.prototype, 'postMessage');
  try {
    const retriever = new Bm25Retriever({ cacheDir, threads: 2 });
    retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: ids.length });
    const index = await retriever.index(memoryCorpus({ ids, texts: rows.map((row) => row.content) }), context);
    const candidates = await collect(retriever.search(index, queries, 1000, context));
    const sentTo = (kind: string) => new Set(posted.mock.calls.flatMap(([message], i) => (kind in (message as object) ? [posted.mock.contexts[i] as Worker] : [])));
    return { candidates, analyzing: sentTo('chunk'), searching: sentTo('search') };
  } finally {
    posted.mockRestore();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function singleThreadSearch(ids: string[], queries: Query[]): Promise<Candidates[]> {
  const retriever = new Bm25Retriever({ cacheDir: null, threads: 1 });
  const index = await retriever.index(memoryCorpus({ ids, texts: rows.map((row) => row.content) }), context);
  return collect(retriever.search(index, queries, 1000, context));
}

describe('BM25 cold run: the analysis workers rank the queries once the index is built', () => {
  afterEach(() => vi.restoreAllMocks());

  it('ranks on the very workers that analyzed the corpus, byte for byte the single-thread candidates, and stops them', async () => {
    const ids = rows.map((row) => row.id);
    const { candidates, analyzing, searching } = await coldSearch(ids, manyQueries);
    expect(analyzing.size).toBe(2);
    expect(searching.size === analyzing.size && [...searching].every((worker) => analyzing.has(worker))).toBe(true);
    expect([...searching].every((worker) => worker.threadId === -1)).toBe(true);
    expect(candidates).toHaveLength(manyQueries.length);
    expectSame(candidates, await singleThreadSearch(ids, manyQueries));
  });

  it('hands over every score the same way when an id is on two rows (no subset)', async () => {
    const ids = rows.map((row, i) => (i === 7 ? rows[6]!.id : row.id));
    const { candidates, searching } = await coldSearch(ids, manyQueries);
    expect(searching.size).toBe(2);
    expect(candidates.every((c) => c.docIndices === null && c.scores.length === ids.length)).toBe(true);
    expectSame(candidates, await singleThreadSearch(ids, manyQueries));
  });

  it('stops them and ranks on this thread when the search is too small to share out', async () => {
    const ids = rows.map((row) => row.id);
    const { candidates, analyzing } = await coldSearch(ids, goldenQueries);
    expect(analyzing.size).toBe(2);
    expect([...analyzing].every((worker) => worker.threadId === -1)).toBe(true);
    expectSame(candidates, await singleThreadSearch(ids, goldenQueries));
  });
});

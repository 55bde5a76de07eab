import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryCorpus } from '../../src/core/corpus-source.js';
import type { Candidates, Query, TaskContext } from '../../src/core/types.js';
import { noProgress } from '../../src/core/progress.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { Bm25Retriever } from '../../src/retrieval/bm25/bm25-retriever.js';
import { goldenCorpusRows as rows, goldenQueries } from './bm25-golden.js';

/** The golden queries six times over: 378 x 2970 documents, enough scores for the analysis workers to rank them. */
const manyQueries = Array.from({ length: 6 }, (_, round) => goldenQueries.map((query) => ({ ...query, id: `${query.id}#${round}` }))).flat();
/**
 * A corpus and a search too large for the analysis workers alone (48,000 documents x 720 queries >= 2^25 scores, the
 * size from which a search is worth fresh workers): a few words each, from a skewed vocabulary of ~5,000.
 */
function largeSearch(): { ids: string[]; texts: string[]; queries: Query[] } {
  const random = seededRandom(15);
  const words = (count: number) => Array.from({ length: count }, () => `w${Math.floor(5000 * random() ** 3)}`).join(' ');
  const texts = Array.from({ length: 48_000 }, () => words(4 + Math.floor(random() * 7)));
  const queries = Array.from({ length: 720 }, (_, i) => ({ id: `q${i}`, text: words(2 + Math.floor(random() * 5)), goldIds: [], goldIdsLong: [], excludedIds: [] }));
  return { ids: texts.map((_, doc) => `d${doc}`), texts, queries };
}

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
 * to worker threads recorded: which workers analyzed chunks, which were sent the index to rank against, which were
 * sent queries, and how many analysis workers still ran when the first candidates came.
 */
async function coldSearch(
  ids: string[],
  queries: Query[],
  texts = rows.map((row) => row.content),
  threads = 2,
): Promise<{ candidates: Candidates[]; analyzing: Set<Worker>; searching: Set<Worker>; ranking: Set<Worker>; analyzingAtFirst: number; sequence: (worker: Worker) => string[] }> {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-search-workers-'));
  const posted = vi.spyOn(Worker.prototype, 'postMessage');
  try {
    const retriever = new Bm25Retriever({ cacheDir, threads });
    retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: ids.length });
    // as an eval does: the queries are analyzed while the index is built (singleThreadSearch analyzes them itself)
    retriever.prepareSearch(queries);
    const index = await retriever.index(memoryCorpus({ ids, texts }), context);
    const sentTo = (kind: string) => new Set(posted.mock.calls.flatMap(([message], i) => (kind in (message as object) ? [posted.mock.contexts[i] as Worker] : [])));
    const candidates: Candidates[] = [];
    let analyzingAtFirst = -1;
    for await (const item of retriever.search(index, queries, 1000, context)) {
      if (candidates.length === 0) analyzingAtFirst = [...sentTo('chunk')].filter((worker) => worker.threadId !== -1).length;
      candidates.push(item);
    }
    // the search's threads stop in the background; the retriever has them stopped once it has settled
    await retriever.settled();
    // what each worker was sent, in order: a chunk, the search side ahead, a merge, the index, a query
    const kinds = ['chunk', 'searchAhead', 'chunks', 'search', 'queryId'];
    const sent = posted.mock.calls.map(([message], i) => ({ worker: posted.mock.contexts[i] as Worker, kind: kinds.find((kind) => kind in (message as object)) ?? '?' }));
    const sequence = (worker: Worker) => sent.flatMap((message) => (message.worker === worker ? [message.kind] : []));
    return { candidates, analyzing: sentTo('chunk'), searching: sentTo('search'), ranking: sentTo('queryId'), analyzingAtFirst, sequence };
  } finally {
    posted.mockRestore();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function singleThreadSearch(ids: string[], queries: Query[], texts = rows.map((row) => row.content)): Promise<Candidates[]> {
  const retriever = new Bm25Retriever({ cacheDir: null, threads: 1 });
  const index = await retriever.index(memoryCorpus({ ids, texts }), context);
  return collect(retriever.search(index, queries, 1000, context));
}

describe('BM25 cold run: the analysis workers rank the queries once the index is built', () => {
  afterEach(() => vi.restoreAllMocks());

  it('ranks on all but one of the workers that analyzed the corpus (the other stopped), byte for byte the single-thread candidates, and stops them', async () => {
    const ids = rows.map((row) => row.id);
    for (const threads of [2, 3]) {
      const { candidates, analyzing, searching, ranking, sequence } = await coldSearch(ids, manyQueries, undefined, threads);
      expect(analyzing.size).toBe(threads);
      // a worker that ranks is told, once it has been sent its last chunk, to load the search side; the others are not
      for (const worker of analyzing) {
        const sent = sequence(worker);
        const chunksSent = sent.filter((kind) => kind === 'chunk').length;
        const told = searching.has(worker) ? ['searchAhead'] : [];
        expect(sent.filter((kind) => kind !== 'chunks' && kind !== 'queryId')).toEqual([...Array<string>(chunksSent).fill('chunk'), ...told, ...(searching.has(worker) ? ['search'] : [])]);
      }
      // the workers sent the index are the ones sent the queries: analysis workers, one fewer than analyzed
      expect(searching.size === threads - 1 && [...searching].every((worker) => analyzing.has(worker))).toBe(true);
      expect(ranking.size === searching.size && [...ranking].every((worker) => searching.has(worker))).toBe(true);
      // the one left out, and the others once the search is over, are stopped
      expect([...analyzing].every((worker) => worker.threadId === -1)).toBe(true);
      expect(candidates).toHaveLength(manyQueries.length);
      expectSame(candidates, await singleThreadSearch(ids, manyQueries));
    }
  });

  it('hands over every score the same way when an id is on two rows (no subset)', async () => {
    const ids = rows.map((row, i) => (i === 7 ? rows[6]!.id : row.id));
    const { candidates, searching } = await coldSearch(ids, manyQueries);
    expect(searching.size).toBe(1);
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

  it('stops them and ranks on fresh search workers when the search is large enough to repay new threads', async () => {
    const { ids, texts, queries } = largeSearch();
    const { candidates, analyzing, searching, ranking, analyzingAtFirst } = await coldSearch(ids, queries, texts);
    expect(analyzing.size).toBe(2);
    // an analysis worker was sent the index too (while the cache was written), then stopped before any ranking
    expect(analyzingAtFirst).toBe(0);
    expect([...searching].filter((worker) => analyzing.has(worker))).toHaveLength(1);
    const fresh = [...searching].filter((worker) => !analyzing.has(worker));
    expect(fresh).toHaveLength(2);
    expect(ranking.size === 2 && fresh.every((worker) => ranking.has(worker))).toBe(true);
    expect([...searching].every((worker) => worker.threadId === -1)).toBe(true);
    expect(candidates).toHaveLength(queries.length);
    expectSame(candidates, await singleThreadSearch(ids, queries, texts));
  });
});

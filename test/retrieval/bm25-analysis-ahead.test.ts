/**
 * The first chunks sent ahead (AnalysisWorkers.sendAhead, called by Bm25Retriever.prefetch): each prestarted worker
 * analyzes its first row groups before the index stage runs, and the analysis takes their replies over: the same
 * index as an analysis on this thread, a damaged page still the loader's error, and a request that is not the
 * analysis's own chunk refused rather than folded in.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryCorpus } from '../../src/core/corpus-source.js';
import { noProgress } from '../../src/core/progress.js';
import type { TaskContext } from '../../src/core/types.js';
import { openParquet } from '../../src/dataset/parquet.js';
import { storedTexts } from '../../src/dataset/parquet-texts.js';
import { AnalysisWorkers, startWorkerAhead, stopWorkerAhead } from '../../src/retrieval/bm25/analysis-workers.js';
import { Bm25Retriever } from '../../src/retrieval/bm25/bm25-retriever.js';
import { storedChunks } from '../../src/retrieval/bm25/chunk-plan.js';
import { indexCacheFolder } from '../../src/retrieval/bm25/index-cache-folder.js';
import { AnalyzedIndexBuilder, type AnalyzedIndex } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { analyzeCorpus } from '../../src/retrieval/bm25/parallel-analysis.js';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { repoRoot } from '../helpers/cli.js';
import { modulesLoadedBy } from '../helpers/modules-loaded.js';
import { comparable } from './bm25-index-builds.js';
import { fixtures, readJsonLines } from './golden-files.js';
import { CorpusIds } from '../../src/core/corpus-ids.js';

const rows = readJsonLines<{ id: string; content: string }>(path.join(fixtures, 'bm25', 'corpus.jsonl.gz'));
const context: TaskContext = { task: 'golden', dataset: { repo: 'local', revision: 'local', corpusSha256: 'golden-bm25-corpus' }, long: false, progress: noProgress };
const never = () => {
  throw new Error('texts must not be read on this thread');
};

async function indexOf(source: Parameters<typeof analyzeCorpus>[0], options: Parameters<typeof analyzeCorpus>[1]): Promise<AnalyzedIndex> {
  const builder = new AnalyzedIndexBuilder();
  await analyzeCorpus(source, options, (chunk) => builder.add(chunk));
  return builder.finish();
}

describe('analysis chunks sent ahead to the prestarted workers', () => {
  let dir: string;
  let reference: AnalyzedIndex;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bm25-ahead-'));
    reference = await indexOf(memoryCorpus({ ids: rows.map((row) => row.id), texts: rows.map((row) => row.content) }), { threads: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const documents = async (name: string) => {
    const file = path.join(dir, `${name}.parquet`);
    writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string' }, rows, rowGroupSize: 100 });
    const parquet = await openParquet(file, { id: 'string', content: 'string' }, `documents/${name}.parquet`);
    return { file, parquet, stored: storedTexts(parquet, 'content') };
  };

  it("each worker is sent the analysis's own first chunk and answers it before the analysis starts; the same index", async () => {
    const { stored } = await documents('ahead');
    const workers = new AnalysisWorkers(2);
    workers.sendAhead(stored);
    const chunks = storedChunks(stored, 2)!;
    expect(workers.ahead.map(({ request }) => request)).toEqual(chunks.slice(0, 2).map((chunk, i) => ({ chunk: i, expectedUnits: chunk.unitsPerWorker, ...chunk.source })));
    const replies = await Promise.all(workers.ahead.map(({ reply }) => reply));
    expect(replies.map((reply) => ('postings' in reply ? reply.postings.docs : reply))).toEqual(chunks.slice(0, 2).map((chunk) => chunk.documents));
    const index = await indexOf({ stored, texts: never }, { threads: 2, workers });
    expect(comparable(index)).toEqual(comparable(reference));
  });

  it('the retriever sends them at prefetch, before its index stage, and builds the same index', async () => {
    const { stored } = await documents('prefetch');
    const cacheDir = path.join(dir, 'cache');
    const sent = vi.spyOn(AnalysisWorkers.prototype, 'sendAhead');
    try {
      const retriever = new Bm25Retriever({ cacheDir, threads: 2 });
      retriever.prefetch({ sha256: 'golden-bm25-corpus', rows: rows.length, stored });
      expect(sent.mock.calls).toEqual([[stored]]);
      const built = await retriever.index({ ids: CorpusIds.of(rows.map((row) => row.id)), stored, texts: never }, context);
      // built on this thread, and through the same cache write (which builds the vocabulary's lookup table: both
      // writes are awaited)
      const alone = new Bm25Retriever({ cacheDir: path.join(dir, 'cache-inline'), threads: 1 });
      const inline = await alone.index(memoryCorpus({ ids: rows.map((row) => row.id), texts: rows.map((row) => row.content) }), context);
      await Promise.all([retriever.settled(), alone.settled()]);
      expect(built).toEqual(inline);
    } finally {
      sent.mockRestore();
    }
  });

  it("a damaged page in a chunk sent ahead fails with the loader's error", async () => {
    const { file, stored } = await documents('damaged');
    const bytes = readFileSync(file);
    const chunk = stored.groups[0]!.chunk!;
    bytes.fill(0xff, chunk.start + 24, chunk.start + 64);
    writeFileSync(file, bytes);
    const parquet = await openParquet(file, { id: 'string', content: 'string' }, 'documents/damaged.parquet');
    const here = await (async () => {
      for await (const batch of parquet.read({ content: 'string' })) void batch;
    })().catch((error: unknown) => error as Error);
    expect(here).toMatchObject({ exitCode: 3, code: 'data.parquet_invalid', message: expect.stringContaining(`rows 0-100 of ${file}`) });
    const workers = new AnalysisWorkers(2);
    const reopened = storedTexts(parquet, 'content');
    workers.sendAhead(reopened);
    await expect(indexOf({ stored: reopened, texts: never }, { threads: 2, workers })).rejects.toMatchObject({ exitCode: 3, code: 'data.parquet_invalid', message: here!.message });
  });

  it('requests sent ahead for another cut of the corpus are refused, not folded in', async () => {
    const { stored } = await documents('other-cut');
    const workers = new AnalysisWorkers(2);
    // the first chunks of a third of the row groups are smaller than this corpus's
    workers.sendAhead({ ...stored, groups: stored.groups.slice(0, 10) });
    await expect(indexOf({ stored, texts: never }, { threads: 2, workers })).rejects.toThrow('the request sent ahead to worker 0 is not chunk 0 of this corpus');
  });

  it('the retriever loads neither the analyzer nor the ranking modules until it ranks: they would delay its prefetch', () => {
    const loaded = modulesLoadedBy(path.join(repoRoot, 'dist', 'retrieval', 'bm25', 'bm25-retriever.js'), path.join(dir, 'census.txt'));
    expect(loaded.some((line) => line.endsWith('/dist/retrieval/bm25/analysis-workers.js'))).toBe(true);
    expect(loaded.filter((line) => /\/dist\/retrieval\/(analyzer\/analyze|bm25\/(lucene-bm25-model|query-candidates|parallel-search|parallel-analysis))\.js$/.test(line))).toEqual([]);
  });

  describe('the worker started before the corpus is known (startWorkerAhead)', () => {
    afterEach(() => stopWorkerAhead());
    const exited = (worker: Worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const everyRow = () => memoryCorpus({ ids: rows.map((row) => row.id), texts: rows.map((row) => row.content) });

    it("is the next AnalysisWorkers' first worker, and analyzes as a fresh one; the one after starts its own", async () => {
      const started = startWorkerAhead(null)!;
      expect(started).not.toBeNull();
      // one at a time: a second start while it waits starts nothing
      expect(startWorkerAhead(null)).toBeNull();
      const workers = new AnalysisWorkers(2);
      expect(workers.workers[0]).toBe(started);
      expect(workers.workers[1]).not.toBe(started);
      const index = await indexOf(everyRow(), { threads: 2, workers });
      expect(comparable(index)).toEqual(comparable(reference));
      const next = new AnalysisWorkers(1);
      expect(next.workers[0]).not.toBe(started);
      await next.terminate();
    });

    it('is not started where a BM25 index is cached already: the run may read it rather than analyze', async () => {
      const cacheDir = path.join(dir, 'cache-folder');
      expect(startWorkerAhead(cacheDir)).not.toBeNull();
      await stopWorkerAhead();
      mkdirSync(indexCacheFolder(cacheDir), { recursive: true });
      expect(startWorkerAhead(cacheDir)).toBeNull();
      expect(startWorkerAhead(null)).not.toBeNull();
    });

    it("is started before node:crypto or the index cache's modules load (eval loads this module and the cache folder's)", () => {
      for (const [file, census] of [[path.join('retrieval', 'bm25', 'analysis-workers.js'), 'census-workers.txt'], [path.join('core', 'cache-dir.js'), 'census-cache-dir.txt']]) {
        const loaded = modulesLoadedBy(path.join(repoRoot, 'dist', file!), path.join(dir, census!));
        expect(loaded.filter((line) => line === 'builtin:crypto' || /\/dist\/retrieval\/bm25\/(index-cache|bm25-retriever)\.js$/.test(line))).toEqual([]);
      }
    });

    it('is stopped by stopWorkerAhead when nothing took it, and one that exited first is not taken', async () => {
      const stopped = startWorkerAhead(null)!;
      const exit = exited(stopped);
      await stopWorkerAhead();
      await exit;
      const dead = startWorkerAhead(null)!;
      await dead.terminate();
      const workers = new AnalysisWorkers(1);
      expect(workers.workers[0]).not.toBe(dead);
      const index = await indexOf(everyRow(), { threads: 2, workers });
      expect(comparable(index)).toEqual(comparable(reference));
    });

    it("the retriever's analysis takes it; an index stage that reads the cache, or analyzes inline, stops it", async () => {
      const { stored } = await documents('taken');
      const cacheDir = path.join(dir, 'cache-taken');
      const taken = startWorkerAhead(null)!;
      const sent = vi.spyOn(AnalysisWorkers.prototype, 'sendAhead');
      const analyzing = new Bm25Retriever({ cacheDir, threads: 2 });
      analyzing.prefetch({ sha256: 'golden-bm25-corpus', rows: rows.length, stored });
      expect((sent.mock.contexts[0] as AnalysisWorkers).workers[0]).toBe(taken);
      sent.mockRestore();
      const built = await analyzing.index({ ids: CorpusIds.of(rows.map((row) => row.id)), stored, texts: never }, context);
      await analyzing.settled();
      // the cache file is written: a retriever that reads it does not take the worker waiting, and stops it
      const waiting = startWorkerAhead(null)!;
      const stopped = exited(waiting);
      const reading = new Bm25Retriever({ cacheDir, threads: 2 });
      // the same index, read from the file the analysis wrote
      expect(await reading.index(everyRow(), context)).toEqual({ ...built, cached: true });
      await reading.settled();
      await stopped;
      // a corpus too small for workers is analyzed on this thread: the worker waiting stops too
      const unused = startWorkerAhead(null)!;
      const unusedStopped = exited(unused);
      const small = rows.slice(0, 500);
      const inline = new Bm25Retriever({ cacheDir: null, threads: 2 });
      await inline.index(memoryCorpus({ ids: small.map((row) => row.id), texts: small.map((row) => row.content) }), context);
      await inline.settled();
      await unusedStopped;
      expect(startWorkerAhead(null)).not.toBeNull();
    });
  });
});

/**
 * `eval` tells BM25 its first task's corpus before the rest of the run loads (startOnFirstCorpus): from the hub cache
 * alone, exactly what the task's loader tells it later (so the retriever goes on with what it started: the analysis
 * workers' first chunks sent once), and the run scores as one created by runEvaluation itself.
 */
import { readFileSync, rmSync, symlinkSync, writeFileSync, readlinkSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CorpusFileInfo } from '../../src/core/types.js';
import { cachedCorpusFile, loadTask } from '../../src/dataset/load-task.js';
import { getTask } from '../../src/dataset/registry.js';
import { startOnFirstCorpus } from '../../src/pipeline/first-corpus.js';
import { runEvaluation } from '../../src/pipeline/run-evaluation.js';
import { AnalysisWorkers } from '../../src/retrieval/bm25/analysis-workers.js';
import { Bm25Retriever } from '../../src/retrieval/bm25/bm25-retriever.js';
import type { HfServer } from '../helpers/hf-server.js';
import { brightServer, fixtureCommit, hubEnvironment, tempDir } from '../dataset/support.js';

describe('the first corpus told before the run loads', () => {
  let server: HfServer;
  let cache: { dir: string; remove: () => void };
  let work: string;
  /** What the loader tells the retriever about leetcode's documents (1,760 rows: analysis workers start). */
  let told: CorpusFileInfo;
  beforeAll(async () => {
    server = await brightServer();
    cache = tempDir('first-corpus');
    work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-first-corpus-'));
    for (const [name, value] of Object.entries(hubEnvironment(server, cache.dir))) vi.stubEnv(name, value);
    // pony's long documents only: its documents stay out of the cache
    await loadTask({ task: 'pony', revision: fixtureCommit, long: true });
    await loadTask({ task: 'leetcode', revision: fixtureCommit, onCorpusFile: (corpus) => (told = corpus) });
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await server.close();
    cache.remove();
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });
  const offline = () => {
    for (const [name, value] of Object.entries(hubEnvironment(server, cache.dir, { HF_HUB_OFFLINE: '1', REASONIR_CACHE: path.join(work, `cache-${Math.random()}`) }))) vi.stubEnv(name, value);
  };

  it("finds the corpus in the hub cache without the network: the loader's own corpus file, long documents too", async () => {
    offline();
    const before = server.requests.length;
    expect(await cachedCorpusFile({ task: 'leetcode', revision: fixtureCommit })).toEqual(told);
    let long: CorpusFileInfo | undefined;
    await loadTask({ task: 'pony', revision: fixtureCommit, long: true, onCorpusFile: (corpus) => (long = corpus) });
    expect(await cachedCorpusFile({ task: 'pony', revision: fixtureCommit, long: true })).toEqual(long);
    expect(long!.stored!.label).toBe('long_documents/pony-00000-of-00001.parquet');
    expect(server.requests.length).toBe(before);
  });

  it('the next loader of that file takes the file as it was opened (its footer parsed once); the one after opens it', async () => {
    offline();
    const ahead = (await cachedCorpusFile({ task: 'leetcode', revision: fixtureCommit }))!;
    const chunk = (stored: CorpusFileInfo['stored']) => stored!.groups[0]!.chunk;
    expect(chunk(ahead.stored)).toBeDefined();
    const next = await loadTask({ task: 'leetcode', revision: fixtureCommit });
    expect(chunk(next.corpus.stored)).toBe(chunk(ahead.stored));
    const after = await loadTask({ task: 'leetcode', revision: fixtureCommit });
    expect(chunk(after.corpus.stored)).not.toBe(chunk(ahead.stored));
    expect(after.corpus.stored).toEqual(next.corpus.stored);
    // another file's loader does not take it
    await cachedCorpusFile({ task: 'leetcode', revision: fixtureCommit });
    const pony = await loadTask({ task: 'pony', revision: fixtureCommit, long: true });
    expect(pony.corpus.stored!.label).toBe('long_documents/pony-00000-of-00001.parquet');
    expect(pony.corpus.ids).toHaveLength(22);
  });

  it('finds nothing where that would take the network, a download or hashing the file', async () => {
    offline();
    // a branch name (resolved by the Hub), a file not in the cache, a data folder (its files are hashed)
    expect(await cachedCorpusFile({ task: 'leetcode', revision: 'main' })).toBeNull();
    expect(await cachedCorpusFile({ task: 'pony', revision: fixtureCommit })).toBeNull();
    expect(await cachedCorpusFile({ task: 'leetcode', revision: fixtureCommit, dataDir: work })).toBeNull();
    // a snapshot that is a copy of its blob, not a link named by its sha256
    const snapshot = path.join(cache.dir, 'datasets--xlangai--BRIGHT', 'snapshots', fixtureCommit, 'documents', 'leetcode-00000-of-00001.parquet');
    const blob = path.resolve(path.dirname(snapshot), readlinkSync(snapshot));
    rmSync(snapshot);
    writeFileSync(snapshot, readFileSync(blob));
    try {
      expect(await cachedCorpusFile({ task: 'leetcode', revision: fixtureCommit })).toBeNull();
    } finally {
      rmSync(snapshot);
      symlinkSync(path.relative(path.dirname(snapshot), blob), snapshot);
    }
    expect(await cachedCorpusFile({ task: 'leetcode', revision: fixtureCommit })).toEqual(told);
  });

  it('a retriever told another corpus then stops the workers it started for the first', async () => {
    const sent = vi.spyOn(AnalysisWorkers.prototype, 'sendAhead');
    const stopped = vi.spyOn(AnalysisWorkers.prototype, 'terminate');
    const retriever = new Bm25Retriever({ cacheDir: path.join(work, 'told-twice'), threads: 2 });
    retriever.prefetch(told);
    retriever.prefetch(told);
    expect(stopped).not.toHaveBeenCalled();
    retriever.prefetch({ ...told, sha256: 'another corpus' });
    expect(sent).toHaveBeenCalledTimes(2);
    expect(stopped.mock.contexts).toEqual([sent.mock.contexts[0]]);
    await (sent.mock.contexts[1] as AnalysisWorkers).terminate();
  });

  it("starts BM25 on it once (the loader's telling goes on with it) and scores as a run's own retriever", async () => {
    offline();
    const prefetched: CorpusFileInfo[] = [];
    const prefetch = Bm25Retriever.prototype.prefetch;
    vi.spyOn(Bm25Retriever.prototype, 'prefetch').mockImplementation(function (this: Bm25Retriever, corpus) {
      prefetched.push(corpus);
      prefetch.call(this, corpus);
    });
    const sent = vi.spyOn(AnalysisWorkers.prototype, 'sendAhead');
    const stopped = vi.spyOn(AnalysisWorkers.prototype, 'terminate');
    const first = { task: 'leetcode', long: false, revision: fixtureCommit };
    const started = await startOnFirstCorpus({ kind: 'bm25' }, first);
    expect(prefetched).toEqual([told]);
    expect(sent).toHaveBeenCalledTimes(1);
    const request = (out: string) => ({
      tasks: [getTask('leetcode')],
      retriever: { kind: 'bm25' as const },
      queries: 'original' as const,
      long: false,
      revision: fixtureCommit,
      depth: 100,
      out: path.join(work, out),
      argv: [],
      signal: new AbortController().signal,
    });
    const early = await runEvaluation({ ...request('early'), started });
    expect(prefetched).toEqual([told, told]);
    // the workers started by the first telling analyzed the corpus: none stopped before the search, none started again
    expect(sent).toHaveBeenCalledTimes(1);
    expect(stopped.mock.invocationCallOrder.every((order) => order > sent.mock.invocationCallOrder[0]!)).toBe(true);
    vi.restoreAllMocks();
    offline();
    const own = await runEvaluation(request('own'));
    for (const file of ['run.trec', 'score.json', 'results.json', 'metrics.json']) {
      expect(readFileSync(path.join(work, 'early', 'leetcode', file), 'utf8')).toBe(readFileSync(path.join(work, 'own', 'leetcode', file), 'utf8'));
    }
    expect(early.summary.tasks).toEqual(own.summary.tasks);
  });
});

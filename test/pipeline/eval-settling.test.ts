/**
 * What a task's retriever leaves running once its search is over (`settled()`: BM25's cache file, the search's threads
 * stopping) goes on while eval writes the task's files, and the run ends only once it has settled.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Retriever } from '../../src/core/types.js';
import { getTask } from '../../src/dataset/registry.js';
import { evaluateTask } from '../../src/pipeline/evaluate-task.js';
import { runEvaluation } from '../../src/pipeline/run-evaluation.js';
import { Bm25Retriever, type Bm25Index } from '../../src/retrieval/bm25/bm25-retriever.js';
import { DEFAULT_MEASURES } from '../../src/eval/measure.js';
import type { HfServer } from '../helpers/hf-server.js';
import { brightServer, fixtureCommit, hubEnvironment, tempDir } from '../dataset/support.js';

/**
 * A BM25 retriever whose `settled()` resolves once its own has and `gate` has (the retriever's stages use their own);
 * `asked` is told when it is called.
 */
function gated(retriever: Bm25Retriever, gate: Promise<void>, asked = () => {}): Retriever<Bm25Index> {
  return {
    name: retriever.name,
    parameters: retriever.parameters,
    prefetch: (corpus) => retriever.prefetch(corpus),
    prepareSearch: (queries) => retriever.prepareSearch(queries),
    index: (corpus, context) => retriever.index(corpus, context),
    search: (index, queries, depth, context) => retriever.search(index, queries, depth, context),
    settled: () => {
      asked();
      return retriever.settled().then(() => gate);
    },
  };
}

describe('eval writes a task while its retriever settles', () => {
  let server: HfServer;
  let cache: { dir: string; remove: () => void };
  let work: string;
  beforeAll(async () => {
    server = await brightServer();
    cache = tempDir('eval-settling');
    work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-eval-settling-'));
    for (const [name, value] of Object.entries(hubEnvironment(server, cache.dir, { REASONIR_CACHE: path.join(work, 'cache') }))) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await server.close();
    cache.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it("writes the task's files before the retriever has settled, and ends only once it has", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const out = path.join(work, 'gated');
    let ended = false;
    const running = runEvaluation({
      tasks: [getTask('pony')],
      retriever: { kind: 'bm25' },
      started: gated(new Bm25Retriever({ threads: 1 }), gate),
      queries: 'original',
      long: false,
      revision: fixtureCommit,
      depth: 100,
      out,
      argv: [],
      signal: new AbortController().signal,
    }).finally(() => (ended = true));
    // awaited before the writes, the gate would hold them back for ever: the files would never appear
    const files = ['run.trec', 'score.json', 'metrics.json', 'manifest.json'].map((file) => path.join(out, 'pony', file));
    for (let waited = 0; !files.every((file) => existsSync(file)); waited += 10) {
      expect(waited).toBeLessThan(20_000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended).toBe(false);
    release();
    const { summary } = await running;
    expect(summary.completed_tasks).toEqual(['pony']);
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'))).toMatchObject({ completed_tasks: ['pony'] });
  });

  it('evaluateTask without `settling` returns only once the retriever has settled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const askedFor = new Promise<void>((resolve) => (asked = resolve));
    let returned = false;
    const retriever = gated(new Bm25Retriever({ threads: 1 }), gate, asked);
    const evaluating = evaluateTask({ task: 'pony', revision: fixtureCommit, retriever, depth: 100, measures: DEFAULT_MEASURES }).finally(() => (returned = true));
    // the search is over when the gate is asked for; it stays closed a while
    await askedFor;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(returned).toBe(false);
    release();
    expect((await evaluating).run.size).toBeGreaterThan(0);
  });
});

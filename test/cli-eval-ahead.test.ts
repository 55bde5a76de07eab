/**
 * A `reasonir eval` process starts BM25's first analysis worker before its command line is parsed (cli/eval-ahead.ts,
 * called by main()), from the raw arguments: only for an eval that will use BM25 (the default retriever) without
 * --resume or help, and only where no BM25 index is cached. An eval run in-process (runCli) starts none.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEvalWorkerAhead } from '../src/cli/eval-ahead.js';
import { stopWorkerAhead } from '../src/retrieval/bm25/analysis-workers.js';
import { indexCacheFolder } from '../src/retrieval/bm25/index-cache-folder.js';

describe('the BM25 worker an eval process starts before its command line is parsed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-eval-ahead-'));
  const env = { REASONIR_CACHE: path.join(dir, 'empty') };
  afterEach(() => stopWorkerAhead());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['eval', '--task', 'biology', '-q']],
    [['eval', '-t', 'biology', '-r', 'bm25', '--out', 'x']],
    [['eval', '--retriever=bm25', '--task', 'biology']],
    [['eval', '--task', 'biology', '--retriever', 'bm25', '--', '--resume']],
    [['-q', 'eval', '--task', 'biology']],
    [['--no-progress', '--quiet', 'eval', '--task', 'biology']],
  ])('starts it for %j', async (argv) => {
    expect(await startEvalWorkerAhead(argv, env)).not.toBeNull();
    await stopWorkerAhead();
  });

  it.each([
    [['eval', '--task', 'biology', '-r', 'dense', '-m', 'x']],
    [['eval', '--task', 'biology', '--retriever', 'embeddings']],
    [['eval', '--retriever=dense', '--task', 'biology']],
    [['eval', '-rdense', '--task', 'biology']],
    [['eval', '-qr', 'dense', '--task', 'biology']],
    [['eval', '--task', 'biology', '-r']],
    [['eval', '--resume', 'results/x']],
    [['eval', '--resume=results/x']],
    [['eval', '--help']],
    [['eval', '-h']],
    [['-q', 'score', '--run', 'eval', '--qrels', 'q']],
    [['--version', 'eval']],
    [['score', '--run', 'r', '--qrels', 'q']],
    [[]],
  ])('starts none for %j', async (argv) => {
    expect(await startEvalWorkerAhead(argv, env)).toBeNull();
  });

  it('starts none where a BM25 index is cached (the run may read it), and starts one in an empty cache', async () => {
    const cached = path.join(dir, 'cached');
    mkdirSync(indexCacheFolder(cached), { recursive: true });
    expect(await startEvalWorkerAhead(['eval', '--task', 'biology'], { REASONIR_CACHE: cached })).toBeNull();
    expect(await startEvalWorkerAhead(['eval', '--task', 'biology'], { XDG_CACHE_HOME: dir })).not.toBeNull();
  });
});

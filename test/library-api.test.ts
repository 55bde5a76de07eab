import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

describe('the package entry point (dist/index.js, package.json "exports")', () => {
  it('scores a task through the library API', async () => {
    const library = (await import(path.join(repoRoot, 'dist', 'index.js'))) as typeof import('../src/index.js');
    const result = await library.evaluateTask({
      task: 'pony',
      dataDir: path.join(repoRoot, 'test', 'fixtures', 'bright', 'data'),
      retriever: new library.Bm25Retriever({ cacheDir: null, threads: 1 }),
      depth: 100,
      measures: [library.parseMeasure('NDCG@10')],
    });
    expect(result.loaded.queries).toHaveLength(112);
    expect(result.run.size).toBe(112);
    const recomputed = library.evaluate(result.run, library.qrelsFromQueries(result.loaded.queries, false), [library.parseMeasure('NDCG@10')]);
    expect(recomputed.aggregate).toEqual(result.evaluation.aggregate);
    expect(library.analyze("The user's cats")).toEqual(['user', 'cat']);
  });
});

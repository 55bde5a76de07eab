import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesRoot, repoRoot } from './helpers/cli.js';

describe('the package entry point (dist/index.js, package.json "exports")', () => {
  const load = async () => (await import(path.join(repoRoot, 'dist', 'index.js'))) as typeof import('../src/index.js');

  it('scores a task through the library API to the numbers the CLI reports for it', async () => {
    const library = await load();
    const retriever = new library.Bm25Retriever({ cacheDir: null, threads: 1 });
    // the corpus file is told to the retriever (prefetch) and to the caller alike
    const told: unknown[][] = [];
    const prefetch = retriever.prefetch.bind(retriever);
    retriever.prefetch = (corpus) => {
      told.push(['retriever', corpus.sha256, corpus.rows]);
      prefetch(corpus);
    };
    const result = await library.evaluateTask({
      task: 'pony',
      dataDir: path.join(fixturesRoot, 'bright', 'data'),
      retriever,
      depth: 100,
      measures: [library.parseMeasure('NDCG@10'), library.parseMeasure('Recall@100')],
      onCorpusFile: (corpus) => told.push(['caller', corpus.sha256, corpus.rows]),
    });
    const sha256 = result.loaded.files.find((file) => file.config === 'documents')!.sha256;
    expect(told).toEqual([
      ['retriever', sha256, result.loaded.corpus.ids.length],
      ['caller', sha256, result.loaded.corpus.ids.length],
    ]);
    expect(result.loaded.queries).toHaveLength(112);
    expect(result.run.size).toBe(112);
    // pinned: `reasonir eval --task pony --data-dir test/fixtures/bright/data --top-k 100` prints the same
    expect(result.evaluation.aggregate).toEqual({ 'NDCG@10': 0.1824670074317423, 'Recall@100': 1 });
  });

  it('evaluates a hand-made run to the hand-computed trec_eval values', async () => {
    const library = await load();
    const run = new Map([['q1', library.RankedList.of(['d1', 'd2', 'd3'], [2, 1, 0.5])]]);
    const qrels = new Map([['q1', new Map([['d2', 1], ['d9', 1]])]]);
    const evaluation = library.evaluate(run, qrels, library.parseMeasureList('NDCG@10,Recall@10,MRR'));
    // relevant at rank 2 of 2 judged relevant: DCG 1/log2(3), ideal 1 + 1/log2(3)
    expect(evaluation.aggregate['NDCG@10']).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 15);
    expect(evaluation.aggregate['Recall@10']).toBe(0.5);
    expect(evaluation.aggregate.MRR).toBe(0.5);
    expect(library.analyze("The user's cats")).toEqual(['user', 'cat']);
  });
});

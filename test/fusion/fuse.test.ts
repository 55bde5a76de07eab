import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { qrelsFromQueries } from '../../src/eval/build-run.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { evalMeasures } from '../../src/pipeline/run-evaluation.js';
import { readRunFile } from '../../src/eval/run-file.js';
import { fuseRuns, normalizeScores, type FusionOptions } from '../../src/fusion/fuse-runs.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { docsByQuery, docsOf, runOf } from '../helpers/runs.js';

// Two runs of one query, worked by hand below. A: d1 3, d2 2, d3 1. B: d3 0.9, d4 0.5, d1 0.1 (B lists d1 first in the
// file: ranks come from the scores, not the file order).
const A = runOf({ q1: [['d1', 3], ['d2', 2], ['d3', 1]] });
const B = runOf({ q1: [['d1', 0.1], ['d3', 0.9], ['d4', 0.5]], q2: [['d9', 1]] });
const defaults: FusionOptions = { method: 'rrf', rrfK: 60, normalization: 'minmax', weights: [0.5, 0.5], depth: 1000, k: 1000 };

describe('fusion against hand-computed fixtures', () => {
  it('RRF (k = 60): 1/(60 + rank) summed; exact ties broken by document id descending', () => {
    // d1: 1/61 + 1/63, d3: 1/63 + 1/61 (the same double), d2: 1/62, d4: 1/62
    expect(docsByQuery(fuseRuns([A, B], defaults))).toEqual(
      docsByQuery(runOf({
        q1: [['d3', 0.032266458495966696], ['d1', 0.032266458495966696], ['d4', 0.016129032258064516], ['d2', 0.016129032258064516]],
        q2: [['d9', 1 / 61]],
      })),
    );
  });

  it('RRF with --depth 2 and --top-k 3: only each run\'s top two count, three are kept', () => {
    // A: d1 (rank 1), d2 (2); B: d3 (1), d4 (2) -> d1 = d3 = 1/61, d2 = d4 = 1/62
    expect(docsOf(fuseRuns([A, B], { ...defaults, depth: 2, k: 3 }).get('q1')!)).toEqual([
      { docId: 'd3', score: 1 / 61 }, { docId: 'd1', score: 1 / 61 }, { docId: 'd4', score: 1 / 62 },
    ]);
  });

  it('linear, min-max, weights 0.3 / 0.7', () => {
    // A -> d1 1, d2 0.5, d3 0; B -> d3 1, d4 (0.5 - 0.1) / 0.8 = 0.5, d1 0
    // d1 0.3*1 + 0.7*0 = 0.3; d2 0.15; d3 0 + 0.7 = 0.7; d4 0.35
    expect(docsOf(fuseRuns([A, B], { ...defaults, method: 'linear', weights: [0.3, 0.7] }).get('q1')!)).toEqual([
      { docId: 'd3', score: 0.7 }, { docId: 'd4', score: 0.35 }, { docId: 'd1', score: 0.3 }, { docId: 'd2', score: 0.15 },
    ]);
  });

  it('linear, z-scores (population sigma), weights 1 / 1; a document missing from a run adds nothing', () => {
    // A: mean 2, sigma sqrt(2/3) -> d1 +sqrt(3/2), d2 0, d3 -sqrt(3/2). C: d2 4, d4 2: mean 3, sigma 1 -> d2 +1, d4 -1
    const C = runOf({ q1: [['d2', 4], ['d4', 2]] });
    expect(docsOf(fuseRuns([A, C], { ...defaults, method: 'linear', normalization: 'z', weights: [1, 1] }).get('q1')!)).toEqual([
      { docId: 'd1', score: 1.224744871391589 }, { docId: 'd2', score: 1 }, { docId: 'd4', score: -1 }, { docId: 'd3', score: -1.224744871391589 },
    ]);
  });

  it('normalises degenerate lists as documented', () => {
    expect(normalizeScores([5, 5], 'minmax')).toEqual([1, 1]);
    expect(normalizeScores([5, 5], 'z')).toEqual([0, 0]);
    expect(normalizeScores([2, -1], 'none')).toEqual([2, -1]);
    expect(normalizeScores([], 'z')).toEqual([]);
  });
});

describe('reasonir fuse (command line)', () => {
  const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
  let work: string;
  const evalRun = async (out: string, extra: string[]) => {
    const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '--top-k', '30', '--json', ...extra], {
      env: { REASONIR_CACHE: path.join(work, 'cache') },
    });
    expect(result.code).toBe(0);
  };
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-fuse-'));
    await evalRun(path.join(work, 'original'), []);
    await evalRun(path.join(work, 'gpt4'), ['--queries', 'gpt4']);
    await evalRun(path.join(work, 'long'), ['--long']);
  }, 120_000);
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('fuses two results folders into a scored results folder', async () => {
    const inputs = [path.join(work, 'original'), path.join(work, 'gpt4')];
    const out = path.join(work, 'rrf');
    const result = await runReasonir(['fuse', ...inputs, '--data-dir', fixtureData, '--out', out, '--top-k', '20', '--json']);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const runs = await Promise.all(inputs.map((dir) => readRunFile(path.join(dir, 'pony', 'score.json'))));
    const expected = fuseRuns(runs, { ...defaults, k: 20 });
    expect(docsByQuery(await readRunFile(path.join(out, 'pony', 'score.json')))).toEqual(docsByQuery(expected));
    const task = await loadTask({ task: 'pony', dataDir: fixtureData });
    const summary = JSON.parse(result.stdout);
    expect(summary.tasks.pony.aggregate).toEqual(evaluate(expected, qrelsFromQueries(task.queries, false), evalMeasures()).aggregate);
    expect(summary).toMatchObject({ retriever: 'fusion', queries: 'mixed', top_k: 20, fusion: { method: 'rrf', rrf_k: 60, depth: 1000, k: 20 } });
    const table = await runReasonir(['table', out, '--format', 'csv', '--baselines', 'none']);
    expect(table.stdout).toContain('rrf(bm25, bm25 +gpt4)');

    const linear = await runReasonir(['fuse', ...inputs, '--method', 'linear', '--normalization', 'z', '--weights', '0.2,0.8', '--data-dir', fixtureData, '--out', path.join(work, 'lin'), '--json']);
    expect(linear.code).toBe(0);
    expect(docsByQuery(await readRunFile(path.join(work, 'lin', 'pony', 'score.json')))).toEqual(docsByQuery(fuseRuns(runs, { ...defaults, method: 'linear', normalization: 'z', weights: [0.2, 0.8] })));
  });

  it('refuses one folder, mixed corpora, mismatched weights and missing score.json, writing nothing', async () => {
    const out = path.join(work, 'bad');
    const one = await runReasonir(['fuse', path.join(work, 'original'), '--data-dir', fixtureData, '--out', out]);
    expect(one.code).toBe(2);
    const mixed = await runReasonir(['fuse', path.join(work, 'original'), path.join(work, 'long'), '--data-dir', fixtureData, '--out', out]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('long-document setting');
    const weights = await runReasonir(['fuse', path.join(work, 'original'), path.join(work, 'gpt4'), '--method', 'linear', '--weights', '1', '--out', out]);
    expect(weights.code).toBe(2);
    const broken = path.join(work, 'broken');
    await fs.cp(path.join(work, 'gpt4'), broken, { recursive: true });
    await fs.rm(path.join(broken, 'pony', 'score.json'));
    const missing = await runReasonir(['fuse', path.join(work, 'original'), broken, '--data-dir', fixtureData, '--out', out]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('score.json does not exist');
    expect(await fs.readdir(out).catch(() => null)).toBeNull();
  });
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { qrelsFromQueries } from '../../src/eval/build-run.js';
import { DEFAULT_MEASURES } from '../../src/eval/measure.js';
import { readQrelsFile } from '../../src/eval/trec-qrels.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');

let work: string;
let out: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-eval-measures-'));
  out = path.join(work, 'pony');
  const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '--measures', 'nDCG@10,RR@10,Judged@10,AP', '--json'], {
    env: { REASONIR_CACHE: path.join(work, 'cache') },
  });
  expect(result.stderr).not.toContain('internal error');
  expect(result.code).toBe(0);
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

const readJson = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'));

describe('eval measures, qrels.txt and R@1000', () => {
  it('writes qrels.txt with the judgments it scored against (gold_ids)', async () => {
    const task = await loadTask({ task: 'pony', dataDir: fixtureData });
    expect(await readQrelsFile(path.join(out, 'pony', 'qrels.txt'))).toEqual(qrelsFromQueries(task.queries, false));
  });

  it('keeps results.json BRIGHT\'s 25 keys; metrics.json and summary.json add Recall@1000 and the names asked for', async () => {
    expect(Object.keys(await readJson(path.join(out, 'pony', 'results.json')))).toEqual(DEFAULT_MEASURES.map((m) => m.name));
    const metrics = await readJson(path.join(out, 'pony', 'metrics.json'));
    expect(Object.keys(metrics.aggregate)).toEqual([...DEFAULT_MEASURES.map((m) => m.name), 'Recall@1000', 'nDCG@10', 'RR@10', 'Judged@10', 'AP']);
    expect(metrics.aggregate['nDCG@10']).toBe(metrics.aggregate['NDCG@10']);
    expect(metrics.aggregate['Recall@1000']).toBeGreaterThanOrEqual(metrics.aggregate['Recall@100']);
    const summary = await readJson(path.join(out, 'summary.json'));
    expect(summary.tasks.pony.aggregate).toEqual(metrics.aggregate);
  });

  it('run.trec + qrels.txt rescored by `score` give the same values bit for bit', async () => {
    const metrics = await readJson(path.join(out, 'pony', 'metrics.json'));
    const names = Object.keys(metrics.aggregate).join(',');
    const rescored = await runReasonir(['score', '--run', path.join(out, 'pony', 'run.trec'), '--qrels', path.join(out, 'pony', 'qrels.txt'), '--measures', names, '--json']);
    expect(rescored.code).toBe(0);
    expect(JSON.parse(rescored.stdout).aggregate).toEqual(metrics.aggregate);
  });

  it('table, check and compare find a measure under any spelling', async () => {
    for (const spelling of ['nDCG@10', 'ndcg_cut_10', 'R@1000', 'recall_100']) {
      const table = await runReasonir(['table', out, '--measure', spelling]);
      expect(table.stderr).not.toContain('internal error');
      expect(table.code, `table --measure ${spelling}: ${table.stderr}`).toBe(0);
    }
    const compared = await runReasonir(['compare', out, out, '--measure', 'ndcg_cut.10']);
    expect(compared.code, compared.stderr).toBe(0);
  });
});

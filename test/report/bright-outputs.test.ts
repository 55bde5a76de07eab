import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResultsDirs } from '../../src/results/results-folder.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import type { HfServer } from '../helpers/hf-server.js';
import { brightServer, hubEnvironment } from '../dataset/support.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');

let work: string;
let server: HfServer;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-bright-outputs-'));
  server = await brightServer();
  const run = await runReasonir(['eval', '--task', 'pony,leetcode', '--data-dir', fixtureData, '--out', path.join(work, 'ours'), '--top-k', '100'], { env: { REASONIR_CACHE: path.join(work, 'cache') } });
  expect(run.code, run.stderr).toBe(0);
  const exported = await runReasonir(['export', path.join(work, 'ours'), '--format', 'bright', '--out', path.join(work, 'bright')]);
  expect(exported.code, exported.stderr).toBe(0);
  // a ReasonIR-style reasoning run of another model beside it: {variant}_score.json
  const reasonir = path.join(work, 'bright', 'outputs', 'pony_reasonir_long_False');
  await fs.mkdir(reasonir, { recursive: true });
  await fs.copyFile(path.join(work, 'ours', 'pony', 'score.json'), path.join(reasonir, 'gpt4_score.json'));
  await fs.copyFile(path.join(work, 'ours', 'pony', 'results.json'), path.join(reasonir, 'results.json'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe('BRIGHT / ReasonIR outputs/ folders as results folders', () => {
  it('reads one run per model and setting, the setting inferred from the names and marked so', async () => {
    const runs = await readResultsDirs([path.join(work, 'bright', 'outputs')]);
    expect(runs.map((run) => run.label).sort()).toEqual(['bm25 (BRIGHT outputs)', 'reasonir +gpt4 (BRIGHT outputs)']);
    const bm25 = runs.find((run) => run.summary.retriever === 'bm25')!;
    expect(bm25.summary).toMatchObject({ model: null, queries: 'original', long: false, headline: 'NDCG@10' });
    expect(bm25.summary.inferred).toContain('BRIGHT outputs');
    const ours = JSON.parse(await fs.readFile(path.join(work, 'ours', 'pony', 'results.json'), 'utf8'));
    expect(bm25.summary.tasks.pony!.aggregate).toEqual(ours);
    expect(Object.keys(bm25.summary.tasks).sort()).toEqual(['leetcode', 'pony']);
  });

  it('table takes the outputs folder (exit 0, was exit 3: no summary.json)', async () => {
    const table = await runReasonir(['table', path.join(work, 'bright', 'outputs'), '--baselines', 'none', '--format', 'json']);
    expect(table.stderr).not.toContain('internal error');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('BRIGHT outputs');
  });

  it('compare scores the score files per query against the task gold ids (through the HF cache) and matches our folder', async () => {
    const one = path.join(work, 'bright', 'outputs', 'pony_bm25_long_False');
    // --force: an outputs folder records no dataset revision, so the comparability check cannot vouch for it
    const result = await runReasonir(['compare', one, path.join(work, 'ours'), '--json', '--force'], { env: hubEnvironment(server, path.join(work, 'hub')) });
    expect(result.stderr).not.toContain('internal error');
    expect(result.code, result.stderr).toBe(0);
    const compared = JSON.parse(result.stdout) as { tasks: Array<{ task: string; meanA: number; meanB: number }> };
    const pony = compared.tasks.find((task) => task.task === 'pony')!;
    expect(pony.meanA).toBe(pony.meanB);
  });

  it('check takes one run of an outputs folder and refuses a folder with several runs (exit 2)', async () => {
    const several = await runReasonir(['check', path.join(work, 'bright', 'outputs'), '--against', path.join(work, 'ours')]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('holds 2 runs');
  });
});

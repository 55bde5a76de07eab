import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'results');
const brightPaper = path.join(repoRoot, 'configs', 'baselines', 'bright-paper.json');

let work: string;
/** A copy of fixture run-a with its summary.json changed. */
async function variant(name: string, change: (summary: Record<string, unknown>) => void): Promise<string> {
  const dir = path.join(work, name);
  await fs.cp(path.join(fixtures, 'run-a'), dir, { recursive: true });
  const summary = JSON.parse(await fs.readFile(path.join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  change(summary);
  await fs.writeFile(path.join(dir, 'summary.json'), JSON.stringify(summary));
  return dir;
}

let base: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-comparable-'));
  base = await variant('base', (summary) => (summary.top_k = 1000));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('runs in different settings are not set against each other', () => {
  it('table, compare and report refuse with exit 2 naming the difference; --force goes ahead and marks the output', async () => {
    const short = await variant('top10', (summary) => (summary.top_k = 10));
    const report = path.join(work, 'report.html');
    for (const args of [['table', base, short], ['compare', base, short], ['report', base, short, '--out', report]]) {
      const refused = await runReasonir(args);
      expect(refused.code, args[0]).toBe(2);
      expect(refused.stderr).toContain(`${args[0]}: these runs are not comparable:\n  top_k: ${base} 1000, ${short} 10\n`);
      expect(refused.stdout).toBe('');
      const forced = await runReasonir([...args, '--force']);
      expect(forced.code, args[0]).toBe(0);
    }
    expect((await runReasonir(['table', base, short, '--force'])).stdout).toContain(`note: FORCED (--force): not comparable, top_k: ${base} 1000, ${short} 10`);
    expect((await runReasonir(['compare', base, short, '--force'])).stdout.split('\n')[0]).toBe(`FORCED (--force): not comparable, top_k: ${base} 1000, ${short} 10`);
    expect(await fs.readFile(report, 'utf8')).toContain('FORCED (--force): not comparable, top_k:');
  });

  it('names long vs short documents, the dataset revision and the measure set; an older run without top_k is compared on the rest', async () => {
    const long = await variant('long', (summary) => (summary.long = true));
    const pinned = await variant('pinned', (summary) => (summary.dataset = { repo: 'xlangai/BRIGHT', revision: '3066d29c9651a576c8aba4832d249807b181ecae' }));
    const fewer = await variant('fewer', (summary) => {
      for (const entry of Object.values(summary.tasks as Record<string, { aggregate: Record<string, number> }>)) delete entry.aggregate['Recall@100'];
    });
    expect((await runReasonir(['compare', base, long])).stderr).toContain(`documents: ${base} short documents, ${long} long documents`);
    expect((await runReasonir(['table', base, pinned])).stderr).toContain(`dataset revision: ${base} local, ${pinned} 3066d29c9651a576c8aba4832d249807b181ecae`);
    expect((await runReasonir(['table', base, fewer])).stderr).toContain(`measures: ${fewer} lacks Recall@100`);
    // run-a records top_k nowhere (written before it was): it is compared on the rest
    expect((await runReasonir(['table', base, path.join(fixtures, 'run-a')])).code).toBe(0);
  });

  it('compares runs whose measures differ only beyond BRIGHT\'s 25 (Recall@1000 in newer runs, eval --measures)', async () => {
    const more = await variant('more', (summary) => {
      for (const entry of Object.values(summary.tasks as Record<string, { aggregate: Record<string, number> }>)) {
        entry.aggregate['Recall@1000'] = 0.9;
        entry.aggregate['nDCG@20'] = 0.5;
      }
    });
    const table = await runReasonir(['table', base, more, '--baselines', 'none']);
    expect(table.stderr).not.toContain('not comparable');
    expect(table.code).toBe(0);
  });

  it('keeps query variants comparable in table and compare, labelled', async () => {
    const gpt4 = await variant('gpt4', (summary) => (summary.queries = 'gpt4'));
    const table = await runReasonir(['table', base, gpt4, '--baselines', 'none']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^bm25 \+gpt4 /m);
    expect((await runReasonir(['compare', base, gpt4])).code).toBe(0);
  });

  it('check needs the baseline of the same query variant and documents, and fails missing tasks unless --tasks', async () => {
    const gpt4 = await variant('gpt4-check', (summary) => (summary.queries = 'gpt4'));
    const wrongRow = await runReasonir(['check', gpt4, '--against', brightPaper, '--row', 'bright-bm25', '--tolerance', '100']);
    expect(wrongRow.code).toBe(2);
    expect(wrongRow.stderr).toContain('queries: the run has gpt4, the baseline original');
    const forced = await runReasonir(['check', gpt4, '--against', brightPaper, '--row', 'bright-bm25', '--tolerance', '100', '--force', '--tasks', 'biology,pony']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('note: FORCED (--force): queries: the run has gpt4, the baseline original');
    const missing = await runReasonir(['check', base, '--against', brightPaper, '--tolerance', '100']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('result: 0 OK, 2 within tolerance, 11 FAIL, 0 not run -> REGRESSION');
    const subset = await runReasonir(['check', base, '--against', brightPaper, '--tolerance', '100', '--tasks', 'biology,pony']);
    expect(subset.code).toBe(0);
    expect(subset.stdout).toContain('result: 0 OK, 2 within tolerance, 0 FAIL, 1 not run');
    const unknownTask = await runReasonir(['check', base, '--against', brightPaper, '--tasks', 'biologie']);
    expect(unknownTask.code).toBe(2);
  });
});

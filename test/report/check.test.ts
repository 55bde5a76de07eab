import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBaselineFile, loadPublishedBaselines, selectBaselines } from '../../src/report/baseline.js';
import { checkAgainst, chooseBaselineRow, writeBaselineFile } from '../../src/report/check.js';
import { readResultsDir } from '../../src/results/results-folder.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { testDir } from '../helpers/test-dir.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'results');
const dir = (name: string) => path.join(fixtures, name);
const brightPaper = path.join(repoRoot, 'configs', 'baselines', 'bright-paper.json');


describe('check against a published row', () => {
  it('compares cells at one decimal and the average within 0.05, then applies the tolerance', async () => {
    const results = await readResultsDir(dir('bm25-full'));
    const [row] = selectBaselines(await loadPublishedBaselines(), ['bright-bm25']);
    const strict = checkAgainst(results, row!, 'bright-paper.json');
    const status = Object.fromEntries(strict.lines.map((line) => [line.task, line.status]));
    // 18.934 -> 18.9, 27.249 -> 27.2, 12.451 -> 12.5 are OK; 14.960 (14.9), 8.203 (7.9) and the average 14.560 (14.5) are not
    expect(status).toEqual({
      biology: 'OK', earth_science: 'OK', economics: 'FAIL', psychology: 'OK', robotics: 'OK', stackoverflow: 'OK',
      sustainable_living: 'OK', leetcode: 'OK', pony: 'FAIL', aops: 'OK', theoremqa_questions: 'OK', theoremqa_theorems: 'OK', Avg: 'FAIL',
    });
    expect(strict.failed).toBe(true);
    const tolerant = checkAgainst(results, row!, 'bright-paper.json', { tolerance: 0.1 });
    expect(tolerant.counts).toEqual({ OK: 10, 'within tolerance': 2, FAIL: 1, 'not run': 0 });
    expect(tolerant.lines.find((line) => line.task === 'economics')!.deltaPoints).toBeCloseTo(0.06, 10);
    expect(checkAgainst(results, row!, 'x', { tolerance: 0.31 }).failed).toBe(false);
  });

  it('fails tasks the run lacks, as against an exact baseline, unless --tasks names the subset', async () => {
    const results = await readResultsDir(dir('run-a'));
    const [row] = selectBaselines(await loadPublishedBaselines(), ['bright-bm25']);
    const report = checkAgainst(results, row!, 'x', { tolerance: 20 });
    expect(report.counts).toEqual({ OK: 0, 'within tolerance': 2, FAIL: 11, 'not run': 0 });
    expect(report.failed).toBe(true);
    expect(report.lines.find((line) => line.task === 'economics')).toMatchObject({ status: 'FAIL', reason: 'task missing from the run; check a subset with --tasks' });
    expect(report.lines.at(-1)).toMatchObject({ task: 'Avg', status: 'FAIL', reason: 'the run covers 2/12 tasks; check a subset with --tasks' });
    const subset = checkAgainst(results, row!, 'x', { tolerance: 20, tasks: ['biology', 'pony'] });
    expect(subset.counts).toEqual({ OK: 0, 'within tolerance': 2, FAIL: 0, 'not run': 1 });
    expect(subset.lines.map((line) => line.task)).toEqual(['biology', 'pony', 'Avg']);
    expect(subset.lines.at(-1)).toMatchObject({ status: 'not run', reason: '--tasks names 2/12 tasks' });
    expect(checkAgainst(results, row!, 'x', { tasks: ['biology', 'pony'] }).failed).toBe(true);
  });

  it('chooses the row matching the run from a multi-row file, or asks for --row', async () => {
    const file = await loadBaselineFile(brightPaper);
    const bm25 = await readResultsDir(dir('bm25-full'));
    expect(chooseBaselineRow(file, brightPaper, bm25).name).toBe('bright-bm25');
    const reasonir = await readResultsDir(dir('run-b'));
    expect(() => chooseBaselineRow(file, brightPaper, reasonir)).toThrowError(/none is the default for reasonir; pick one with --row/);
    expect(chooseBaselineRow(file, brightPaper, reasonir, 'bright-gritlm').name).toBe('bright-gritlm');
  });
});

describe('check against an exact baseline', () => {
  it('round-trips --write-baseline: every measure identical, then a moved value fails', async () => {
    const results = await readResultsDir(dir('run-a'));
    const file = path.join(testDir('check'), 'expected.json');
    await writeBaselineFile(results, file);
    const baseline = await loadBaselineFile(file);
    const row = baseline.rows[0]!;
    expect(row.decimals).toBeNull();
    expect(row.measures['NDCG@10']!.tasks).toEqual({ biology: 0.35614213453909027, pony: 0.2327324383928644 });
    const report = checkAgainst(results, row, file, { measures: 'all' });
    expect(report.counts).toEqual({ OK: 6, 'within tolerance': 0, FAIL: 0, 'not run': 0 });

    const moved = structuredClone(results);
    moved.summary.tasks.pony!.aggregate['Recall@100'] = 0.40000001;
    const after = checkAgainst(moved, row, file, { measures: 'all' });
    expect(after.lines.filter((line) => line.status === 'FAIL').map((line) => `${line.measure} ${line.task}`)).toEqual(['Recall@100 pony', 'Recall@100 Avg']);
    expect(checkAgainst(moved, row, file, { measures: 'all', tolerance: 1e-5 }).failed).toBe(false);

    delete moved.summary.tasks.biology;
    const missing = checkAgainst(moved, row, file);
    expect(missing.lines[0]).toMatchObject({ task: 'biology', status: 'FAIL', reason: 'task missing from the run; check a subset with --tasks' });
  });
});

describe('reasonir check (CLI)', () => {
  it('exits 1 after printing FAIL, 0 when everything is OK or within tolerance', async () => {
    const failing = await runReasonir(['check', dir('bm25-full'), '--against', brightPaper]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/NDCG@10 +economics +14\.960 +14\.9 +\+0\.060 +FAIL/);
    expect(failing.stdout).toContain('result: 10 OK, 0 within tolerance, 3 FAIL, 0 not run -> REGRESSION');
    expect(failing.stderr).toContain('3 check(s) FAILed against bright-bm25');
    const passing = await runReasonir(['check', dir('bm25-full'), '--against', brightPaper, '--tolerance', '0.31']);
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('result: 10 OK, 3 within tolerance, 0 FAIL, 0 not run\n');
  });

  it('writes a baseline file and checks a results directory against itself and another one', async () => {
    const file = path.join(testDir('check'), 'expected.json');
    const written = await runReasonir(['check', dir('run-a'), '--write-baseline', file, '--against', file, '--measure', 'all', '--json']);
    expect(written.code).toBe(0);
    expect(JSON.parse(written.stdout)).toMatchObject({ failed: false, counts: { OK: 6 } });
    const other = await runReasonir(['check', dir('run-b'), '--against', dir('run-a')]);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain('note: NDCG@10: not in the baseline, not checked: leetcode');
  });

  it('rejects bad input with exit 2 or 3 and says what to do', async () => {
    expect((await runReasonir(['check', dir('run-a')])).stderr).toContain('give --against');
    const missing = await runReasonir(['check', path.join(fixtures, 'nope'), '--against', brightPaper]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/summary\.json: cannot read the run summary \(ENOENT\); pass a directory written by `reasonir eval --out DIR`/);
    const tolerance = await runReasonir(['check', dir('run-a'), '--against', brightPaper, '--tolerance', '-1']);
    expect(tolerance.code).toBe(2);
  });
});

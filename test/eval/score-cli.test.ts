import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { DEFAULT_MEASURES, trecEvalName } from '../../src/eval/measure.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const golden = path.join(repoRoot, 'test', 'fixtures', 'trec_eval');
const dataDir = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-score-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface MetricsJson {
  aggregate: Record<string, number>;
  per_query: Record<string, Record<string, number>>;
}

describe('reasonir score --qrels', () => {
  it('--json prints pytrec_eval-exact per-query values and BRIGHT means for a golden case', async () => {
    const caseDir = path.join(golden, 'p03_economics_float32_ties');
    const result = await runReasonir(['score', '--run', path.join(caseDir, 'run.txt.gz'), '--qrels', path.join(caseDir, 'qrels.txt'), '--json']);
    expect(result.stderr).toContain('103 queries evaluated');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as MetricsJson;
    const expected = JSON.parse(readFileSync(path.join(caseDir, 'expected.json'), 'utf8')) as {
      per_query: Record<string, Record<string, number>>;
      aggregate_full_precision: Record<string, number>;
      eval_query_order: string[];
    };
    expect(printed.aggregate).toEqual(expected.aggregate_full_precision);
    expect(Object.keys(printed.per_query)).toEqual(expected.eval_query_order);
    for (const [queryId, values] of Object.entries(printed.per_query)) {
      for (const measure of DEFAULT_MEASURES) expect(values[measure.name]).toBe(expected.per_query[queryId]![trecEvalName(measure)!]);
    }
  });

  it('prints an aligned table, per-query rows, and writes the results files with --out, keyed by the names asked for', async () => {
    const caseDir = path.join(golden, 'p10_pony_short_runs');
    const out = path.join(dir, 'out');
    const result = await runReasonir([
      'score', '--run', path.join(caseDir, 'run.txt.gz'), '--qrels', path.join(caseDir, 'qrels.txt'), '--measures', 'ndcg_cut.5,10,mrr', '--per-query', '--out', out,
    ]);
    expect(result.code).toBe(0);
    const expected = JSON.parse(readFileSync(path.join(caseDir, 'expected.json'), 'utf8')) as { aggregate_bright_rounded: Record<string, number> };
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^\s+@5\s+@10$/);
    expect(lines[1]).toBe(`ndcg_cut  ${expected.aggregate_bright_rounded['NDCG@5']!.toFixed(5)}  ${expected.aggregate_bright_rounded['NDCG@10']!.toFixed(5)}`);
    expect(lines[2]).toBe(`mrr       ${expected.aggregate_bright_rounded.MRR!.toFixed(5)}`);
    expect(result.stdout).toMatch(/\nqid\s+ndcg_cut\.5\s+ndcg_cut\.10\s+mrr\n/);
    expect(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'))).toEqual({
      'ndcg_cut.5': expected.aggregate_bright_rounded['NDCG@5'],
      'ndcg_cut.10': expected.aggregate_bright_rounded['NDCG@10'],
      mrr: expected.aggregate_bright_rounded.MRR,
    });
    expect(readFileSync(path.join(out, 'per_query.tsv'), 'utf8').split('\n')[0]).toBe('qid\tndcg_cut.5\tndcg_cut.10\tmrr');
  });

  it('--all-queries counts judged queries missing from the run as 0', async () => {
    const caseDir = path.join(golden, 'p05_robotics_query_set_mismatch');
    const args = ['score', '--run', path.join(caseDir, 'run.txt.gz'), '--qrels', path.join(caseDir, 'qrels.txt'), '--measures', 'MRR', '--json'];
    const plain = JSON.parse((await runReasonir(args)).stdout) as MetricsJson;
    const all = await runReasonir([...args, '--all-queries']);
    expect(all.stderr).toContain('counted as 0');
    const counted = JSON.parse(all.stdout) as MetricsJson;
    const evaluated = Object.keys(plain.per_query).length;
    const total = Object.keys(counted.per_query).length;
    expect(total).toBeGreaterThan(evaluated);
    expect(counted.aggregate.MRR).toBeCloseTo((plain.aggregate.MRR! * evaluated) / total, 15);
  });

  it('exits 2 on usage errors', async () => {
    const run = path.join(golden, 'p10_pony_short_runs', 'run.txt.gz');
    const qrels = path.join(golden, 'p10_pony_short_runs', 'qrels.txt');
    const neither = await runReasonir(['score', '--run', run]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('exactly one of --qrels FILE or --task NAME');
    expect((await runReasonir(['score', '--run', run, '--qrels', qrels, '--task', 'pony'])).code).toBe(2);
    const measure = await runReasonir(['score', '--run', run, '--qrels', qrels, '--measures', 'NDCG@10,bpref']);
    expect(measure.code).toBe(2);
    expect(measure.stderr).toContain('unknown measure "bpref"');
    expect((await runReasonir(['score', '--run', run, '--qrels', qrels, '--long'])).code).toBe(2);
    expect((await runReasonir(['score', '--qrels', qrels])).code).toBe(2);
  });

  it('exits 3 with file:line on malformed input, and when no run query is judged', async () => {
    const run = path.join(dir, 'bad.run');
    writeFileSync(run, 'q1 Q0 a 1 0.5 t\nq1 Q0 b 2 nan t\n');
    const qrels = path.join(dir, 'ok.qrels');
    writeFileSync(qrels, 'q1 0 a 1\n');
    const bad = await runReasonir(['score', '--run', run, '--qrels', qrels]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain(`${run}:2: the score column (5th) must be a number, found "nan"`);

    const other = path.join(dir, 'other.run');
    writeFileSync(other, 'q9 Q0 a 1 0.5 t\n');
    const none = await runReasonir(['score', '--run', other, '--qrels', qrels]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('no query of the run is judged');
  });
});

describe('reasonir score --task (BRIGHT judgments from the dataset)', () => {
  let queries: Awaited<ReturnType<typeof loadTask>>['queries'];
  beforeAll(async () => {
    queries = (await loadTask({ task: 'leetcode', dataDir })).queries;
  });

  it('removes excluded ids before scoring and judges with gold_ids; reads score.json', async () => {
    const [first, second] = queries as [(typeof queries)[0], (typeof queries)[0]];
    expect(first.excludedIds.length).toBeGreaterThan(0);
    // query 1: an excluded document outranks the gold one; query 2: an unjudged document does
    const scores = {
      [first.id]: { [first.excludedIds[0]!]: 10, [first.goldIds[0]!]: 9 },
      [second.id]: { 'leetcode/not-gold.txt': 10, [second.goldIds[0]!]: 9 },
    };
    const run = path.join(dir, 'score.json');
    writeFileSync(run, JSON.stringify(scores));
    const result = await runReasonir(['score', '--task', 'leetcode', '--data-dir', dataDir, '--run', run, '--measures', 'MRR,NDCG@10', '--json']);
    expect(result.stderr).toContain('1 excluded document(s) removed');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as MetricsJson;
    expect(printed.per_query[first.id]!.MRR).toBe(1);
    expect(printed.per_query[second.id]!.MRR).toBe(0.5);
    expect(printed.aggregate.MRR).toBe(0.75);

    const text = await runReasonir(['score', '--task', 'leetcode', '--data-dir', dataDir, '--run', run]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^NDCG@10 x 100 = \d+\.\d \(BRIGHT's headline\)\n/);
  });

  it('--task warns when most of the run\'s documents are not in the task\'s corpus, and --strict exits 3', async () => {
    // a pony run judged as leetcode: its 3 documents are pony documents
    const run = path.join(dir, 'pony-run.trec');
    writeFileSync(run, ['0 Q0 pony_doc_a 1 3.0 x', '0 Q0 pony_doc_b 2 2.0 x', '1 Q0 pony_doc_c 1 1.0 x'].join('\n') + '\n');
    const lenient = await runReasonir(['score', '--task', 'leetcode', '--data-dir', dataDir, '--run', run, '--all-queries']);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toContain("warning: only 0 of the run's 3 document ids are in the leetcode corpus: is this a run of another task or of the long-document setting?");
    const strict = await runReasonir(['score', '--task', 'leetcode', '--data-dir', dataDir, '--run', run, '--strict']);
    expect(strict.code).toBe(3);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('error: only 0 of the run\'s 3 document ids are in the leetcode corpus');
    const noTask = await runReasonir(['score', '--qrels', run, '--run', run, '--strict']);
    expect(noTask.code).toBe(2);
  });
});

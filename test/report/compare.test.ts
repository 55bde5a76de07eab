import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareResults, renderRunComparison } from '../../src/report/compare-runs.js';
import { readResultsDirs } from '../../src/results/results-folder.js';
import { pairedPermutationTest, pairedTTest } from '../../src/report/paired-tests.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'results');

describe('compare two runs', () => {
  it('pairs queries per task, runs both tests and lists the queries that changed most', async () => {
    const [a, b] = await readResultsDirs([path.join(fixtures, 'run-a'), path.join(fixtures, 'run-b')]);
    const comparison = await compareResults(a!, b!, { top: 2 });
    expect(comparison.tasks.map((task) => task.task)).toEqual(['biology', 'pony']);
    expect(comparison.tasksOnlyInB).toEqual(['leetcode']);
    const biology = comparison.tasks[0]!;
    expect(biology.n).toBe(6);
    expect(biology.delta).toBeCloseTo(0.075, 15);
    // differences 0.1, 0, 0.25, 0, 0.1, 0: only the two all-same-sign flips of the non-zero ones reach |0.45|
    expect(biology.permutation).toMatchObject({ exact: true, rounds: 64, p: 0.25 });
    expect(biology.tTest.df).toBe(5);
    expect(biology.changed.map((change) => change.qid)).toEqual(['2', '4']);
    expect(comparison.tasks[1]!.permutation.p).toBe(1);
    const text = renderRunComparison(comparison, 'text');
    expect(text).toContain('t-test: paired t-test');
    expect(text).toContain('perm.: paired permutation test');
    expect(text).toMatch(/biology +6 +35\.6 +43\.1 +\+7\.5 +1\.861 +0\.1219 +0\.2500 \(exact\)/);
    expect(text).toContain('  biology  2  25.0 -> 50.0  (+25.0)');
  });

  it('lists the changed queries as one aligned block across tasks', async () => {
    const [a, b] = await readResultsDirs([path.join(fixtures, 'run-a'), path.join(fixtures, 'run-b')]);
    const text = renderRunComparison(await compareResults(a!, b!, { top: 3 }), 'text');
    expect(text.slice(text.indexOf('queries that changed most'))).toBe(
      [
        'queries that changed most (NDCG@10 x100, A -> B):',
        '  biology  2  25.0 -> 50.0  (+25.0)',
        '  biology  4   0.0 -> 10.0  (+10.0)',
        '  biology  0  50.0 -> 60.0  (+10.0)',
        '  pony     0  10.0 -> 30.0  (+20.0)',
        '  pony     1  20.0 -> 10.0  (-10.0)',
      ].join('\n') + '\n',
    );
  });

  it('runs from the CLI with --json', async () => {
    const result = await runReasonir(['compare', path.join(fixtures, 'run-a'), path.join(fixtures, 'run-b'), '--json', '--measure', 'recall@100']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { measure: string; tasks: Array<{ task: string; meanB: number }> };
    expect(json.measure).toBe('Recall@100');
    expect(json.tasks[0]!.meanB).toBeCloseTo(0.75, 15);
  });
});

describe('compare with a single paired query', () => {
  it('prints n/a rather than NaN where no test statistic exists', () => {
    const single = {
      a: { label: 'A', dir: 'a' },
      b: { label: 'B', dir: 'b' },
      measure: 'NDCG@10',
      tasks: [
        {
          task: 'pony', n: 1, onlyInA: 0, onlyInB: 0, meanA: 0.2, meanB: 0.5, delta: 0.3,
          tTest: pairedTTest([0.2], [0.5]),
          permutation: pairedPermutationTest([0.2], [0.5]),
          changed: [{ qid: '1', a: 0.2, b: 0.5, delta: 0.3 }],
        },
      ],
      tasksOnlyInA: [],
      tasksOnlyInB: [],
      permutation: { rounds: 10_000, seed: 42 },
      forced: [],
    };
    const text = renderRunComparison(single, 'text');
    expect(text).not.toContain('NaN');
    expect(text).toMatch(/pony.*n\/a/);
  });
});

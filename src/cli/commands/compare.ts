import { InvalidArgumentError, type Command } from '@commander-js/extra-typings';
import { DEFAULT_ROUNDS, DEFAULT_SEED } from '../../report/paired-tests.js';
import type { CommandContext } from '../program.js';

function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return parsed;
  };
}

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('compare')
    .description('per task, the mean difference of two runs with paired significance tests over queries, and the queries that changed most')
    .argument('<a>', 'results directory A (the reference)')
    .argument('<b>', 'results directory B')
    .option('--measure <name>', 'per-query measure (default: A\'s headline, NDCG@10 or Recall@1)')
    .option('--top <n>', 'changed queries to list per task', integerAtLeast(0), 5)
    .option('--rounds <n>', 'random sign-flip rounds for tasks with more than 16 queries', integerAtLeast(1), DEFAULT_ROUNDS)
    .option('--seed <n>', 'seed of the permutation test', integerAtLeast(0), DEFAULT_SEED)
    .option('--json', 'print the comparison as JSON', false)
    .option('--force', 'set the runs against each other even when their settings differ (long vs short documents, top_k, dataset revision, measures); the output is marked', false)
    .action(async (a, b, options) => {
      const [{ compareResults, renderRunComparison }, { readResultsDirs }, { enforceComparable }] = await Promise.all([
        import('../../report/compare-runs.js'),
        import('../../results/results-folder.js'),
        import('../../report/comparable.js'),
      ]);
      const [runA, runB] = await readResultsDirs([a, b]);
      const forced = await enforceComparable([runA!, runB!], options.force, 'compare');
      const comparison = await compareResults(runA!, runB!, {
        forced,
        ...(options.measure !== undefined ? { measure: options.measure } : {}),
        top: options.top,
        rounds: options.rounds,
        seed: options.seed,
      });
      io.stdout.write(renderRunComparison(comparison, options.json ? 'json' : 'text'));
    });
}

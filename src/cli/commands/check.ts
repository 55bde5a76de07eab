import { promises as fs } from 'node:fs';
import { InvalidArgumentError, type Command } from '@commander-js/extra-typings';
import { dataError, regressionError, usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { BaselineRow } from '../../report/baseline.js';
import type { ResultsDir } from '../../results/results-folder.js';
import { parseTaskList } from '../../dataset/registry.js';
import type { CommandContext } from '../program.js';

function tolerance(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a number >= 0 (points, x100)');
  return parsed;
}

/**
 * A baseline file, or a results directory taken as an exact baseline; a row of another setting (documents, query
 * variant) or a directory of another setting (see enforceComparable) is refused unless `force`, whose differences
 * come back to be printed.
 */
async function loadAgainst(against: string, results: ResultsDir, rowName: string | undefined, force: boolean): Promise<{ row: BaselineRow; forced: string[] }> {
  const [{ loadBaselineFile }, { baselineFromResults, chooseBaselineRow }, { readResultsDir }, { enforceComparable }] = await Promise.all([
    import('../../report/baseline.js'),
    import('../../report/check.js'),
    import('../../results/results-folder.js'),
    import('../../report/comparable.js'),
  ]);
  let isDirectory: boolean;
  try {
    isDirectory = (await fs.stat(against)).isDirectory();
  } catch (error) {
    throw dataError('baseline_missing', `--against ${against}: no such file or directory`, error);
  }
  if (isDirectory) {
    if (rowName !== undefined) throw usageError('row_with_directory', '--row applies to baseline files, not to results directories');
    const other = await readResultsDir(against);
    const forced = await enforceComparable([results, other], force, 'check');
    const differences = settingMismatch(results, other.summary);
    if (differences.length > 0 && !force) throw notComparable(against, differences);
    return { row: baselineFromResults(other, against), forced: [...forced, ...differences.map((difference) => `FORCED (--force): ${difference}`)] };
  }
  const row = chooseBaselineRow(await loadBaselineFile(against), against, results, rowName);
  const differences = settingMismatch(results, row.setting);
  if (differences.length > 0 && !force) throw notComparable(`${against} row ${row.name}`, differences);
  return { row, forced: differences.map((difference) => `FORCED (--force): ${difference}`) };
}

/** A check needs the same documents and the same query variant: gpt4-query numbers are no regression test of original ones. */
function settingMismatch(results: ResultsDir, expected: { queries: string; long: boolean }): string[] {
  const differences: string[] = [];
  const { summary } = results;
  if (summary.queries.toLowerCase() !== expected.queries.toLowerCase()) differences.push(`queries: the run has ${summary.queries}, the baseline ${expected.queries}`);
  if (summary.long !== expected.long) differences.push(`documents: the run has ${summary.long ? 'long' : 'short'}, the baseline ${expected.long ? 'long' : 'short'}`);
  return differences;
}

function notComparable(what: string, differences: string[]) {
  return usageError('not_comparable', `check: ${what} is another setting:\n  ${differences.join('\n  ')}\npick the baseline row of the run's setting (--row), or pass --force to check anyway (the report is then marked)`);
}

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('check')
    .description('check a results directory against a baseline file or another results directory: OK / within tolerance / FAIL per task and for the average')
    .argument('<results-dir>', 'directory written by `reasonir eval --out`')
    .option('--against <file|dir>', 'baseline file (configs/baselines/*.json or one written by --write-baseline) or a results directory')
    .option('--row <name>', 'row of a multi-row baseline file (default: the only row, or the one matching the run\'s setting)')
    .option('--measure <names>', 'measures to check, comma-separated, or "all" (default: the run\'s headline)')
    .option('--tolerance <points>', 'difference allowed for "within tolerance", in points (x100)', tolerance, 0)
    .option('--write-baseline <file>', 'write the run as an exact baseline file (every measure, full precision)')
    .option('--name <name>', 'row name for --write-baseline', 'expected')
    .option('--tasks <names>', 'check only these tasks of the baseline (comma-separated); without it a task the run lacks FAILs')
    .option('--force', 'check even against another setting (documents, query variant, top_k, dataset revision, measures); the report is marked', false)
    .option('--json', 'print the check report as JSON', false)
    .addHelpText(
      'after',
      '\nExit status: 0 when every line is OK or within tolerance, 1 when any line FAILs (a regression).\n' +
        'Published rows are compared at their printed precision (cells rounded to 1 decimal must match, averages\n' +
        'within 0.05); exact baselines (from --write-baseline or a results directory) must match bit for bit.\n' +
        'A task of the baseline that the run lacks FAILs unless --tasks names the subset to check. A baseline of\n' +
        'another setting (documents, query variant; for a results directory also top_k, revision, measures) is\n' +
        'refused (exit 2) unless --force, which marks the report.',
    )
    .action(async (dir, options) => {
      if (options.against === undefined && options.writeBaseline === undefined) {
        throw usageError('nothing_to_do', 'give --against <baseline-file|results-dir> to check, or --write-baseline <file> to record this run');
      }
      // the implementation loads when the command runs: help and other commands never load it
      const [{ checkAgainst, renderCheckReport, writeBaselineFile }, { readResultsDir }] = await Promise.all([import('../../report/check.js'), import('../../results/results-folder.js')]);
      const results = await readResultsDir(dir);
      if (options.writeBaseline !== undefined) {
        await writeBaselineFile(results, options.writeBaseline, options.name);
        log.info(`wrote ${options.writeBaseline} (${Object.keys(results.summary.tasks).length} tasks, exact values)`);
      }
      if (options.against === undefined) return;
      const { row, forced } = await loadAgainst(options.against, results, options.row, options.force);
      const tasks = options.tasks === undefined ? undefined : parseTaskList(options.tasks).map((task) => task.name);
      const measures = options.measure === undefined ? undefined : options.measure.trim() === 'all' ? 'all' : options.measure.split(',').map((m) => m.trim());
      const report = checkAgainst(results, row, options.against, { tolerance: options.tolerance, forced, ...(measures ? { measures } : {}), ...(tasks ? { tasks } : {}) });
      io.stdout.write(renderCheckReport(report, options.json ? 'json' : 'text'));
      if (report.failed) {
        throw regressionError(`${report.counts.FAIL} check(s) FAILed against ${row.name} (${options.against})`);
      }
    });
}

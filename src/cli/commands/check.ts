import { promises as fs } from 'node:fs';
import { InvalidArgumentError, type Command } from '@commander-js/extra-typings';
import { dataError, regressionError, usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { loadBaselineFile, type BaselineRow } from '../../report/baseline.js';
import { baselineFromResults, checkAgainst, chooseBaselineRow, renderCheckReport, writeBaselineFile } from '../../report/check.js';
import { readResultsDir, type ResultsDir } from '../../report/results-dir.js';
import type { CommandContext } from '../program.js';

function tolerance(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a number >= 0 (points, x100)');
  return parsed;
}

/** A baseline file, or a results directory taken as an exact baseline. */
async function loadAgainst(against: string, results: ResultsDir, rowName: string | undefined): Promise<BaselineRow> {
  let isDirectory: boolean;
  try {
    isDirectory = (await fs.stat(against)).isDirectory();
  } catch (error) {
    throw dataError('baseline_missing', `--against ${against}: no such file or directory`, error);
  }
  if (isDirectory) {
    if (rowName !== undefined) throw usageError('row_with_directory', '--row applies to baseline files, not to results directories');
    return baselineFromResults(await readResultsDir(against), against);
  }
  return chooseBaselineRow(await loadBaselineFile(against), against, results, rowName);
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
    .option('--json', 'print the check report as JSON', false)
    .addHelpText(
      'after',
      '\nExit status: 0 when every line is OK or within tolerance, 1 when any line FAILs (a regression).\n' +
        'Published rows are compared at their printed precision (cells rounded to 1 decimal must match, averages\n' +
        'within 0.05); tasks the run lacks are "not run". Exact baselines (from --write-baseline or a results\n' +
        'directory) must match bit for bit and every task in them must be present.',
    )
    .action(async (dir, options) => {
      if (options.against === undefined && options.writeBaseline === undefined) {
        throw usageError('nothing_to_do', 'give --against <baseline-file|results-dir> to check, or --write-baseline <file> to record this run');
      }
      const results = await readResultsDir(dir);
      if (options.writeBaseline !== undefined) {
        await writeBaselineFile(results, options.writeBaseline, options.name);
        log.info(`wrote ${options.writeBaseline} (${Object.keys(results.summary.tasks).length} tasks, exact values)`);
      }
      if (options.against === undefined) return;
      const row = await loadAgainst(options.against, results, options.row);
      const measures = options.measure === undefined ? undefined : options.measure.trim() === 'all' ? 'all' : options.measure.split(',').map((m) => m.trim());
      const report = checkAgainst(results, row, options.against, { tolerance: options.tolerance, ...(measures ? { measures } : {}) });
      io.stdout.write(renderCheckReport(report, options.json ? 'json' : 'text'));
      if (report.failed) {
        throw regressionError(`${report.counts.FAIL} check(s) FAILed against ${row.name} (${options.against})`);
      }
    });
}

import type { Command } from '@commander-js/extra-typings';
import { usageError } from '../../core/errors.js';
import type { OutputStream } from '../../core/run-context.js';
import type { CommandContext } from '../program.js';
import { parsePositiveInteger } from '../parse-options.js';
import { terminalWidth } from '../terminal-width.js';

async function listBaselines(stdout: OutputStream): Promise<void> {
  const { loadPublishedBaselines } = await import('../../report/baseline.js');
  const rows = await loadPublishedBaselines();
  const lines = rows.map((row) => {
    const s = row.setting;
    const setting = `${s.model ?? s.retriever}${s.queries === 'original' ? '' : ` +${s.queries}`}${s.long ? ' long' : ''}${s.reranker ? ' +rerank' : ''}`;
    return [row.name, setting, Object.keys(row.measures).join(','), row.default ? 'default' : '', row.label];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...lines.map((line) => line[i]!.length)));
  for (const line of lines) stdout.write(`${line.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join('  ')}\n`);
}

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('table')
    .description('compare results directories with published rows: 12 tasks in paper order (x100, one decimal) and the average')
    .argument('[results-dir...]', 'directories written by `reasonir eval --out`')
    .option('--baselines <names>', 'published rows to show, comma-separated (see --list-baselines); "none" for none; default: the row matching each run')
    .option('--measure <name>', 'measure to tabulate (default: the run\'s headline, NDCG@10 or Recall@1 for long documents)')
    .option('--format <format>', 'text | md | csv | json | latex', 'text')
    .option('--width <columns>', 'text format: fit this many columns (default: the terminal\'s; transposed below 100)', parsePositiveInteger)
    .option('--delta <ref>', 'add a difference row against this row (a row number, label, results directory or baseline name)')
    .option('--list-baselines', 'list the published rows and exit', false)
    .option('--force', 'set the runs against each other even when their settings differ (long vs short documents, top_k, dataset revision, measures); the output is marked', false)
    .addHelpText(
      'after',
      '\nValues are x100 with one decimal like the papers; averages use unrounded per-task values, and a row that\n' +
        'lacks tasks shows "Avg (k/12)". --format json gives the unrounded values.',
    )
    .action(async (dirs, options) => {
      if (options.listBaselines) return listBaselines(io.stdout);
      // the implementation loads when the command runs: help and other commands never load it
      const [{ resolveBaselineOption }, { buildComparisonTable }, { parseTableFormat, renderTable }, { readResultsDirs }, { enforceComparable }] = await Promise.all([
        import('../../report/baseline.js'),
        import('../../report/comparison-table.js'),
        import('../../report/render-table.js'),
        import('../../results/results-folder.js'),
        import('../../report/comparable.js'),
      ]);
      const format = parseTableFormat(options.format);
      if (dirs.length === 0 && options.baselines === undefined) {
        throw usageError('nothing_to_show', 'give results directories and/or --baselines NAME[,NAME] (see `reasonir table --list-baselines`)');
      }
      const runs = await readResultsDirs(dirs);
      const forced = await enforceComparable(runs, options.force, 'table');
      const baselines = await resolveBaselineOption(options.baselines, runs.map((run) => run.summary));
      const table = buildComparisonTable(runs, baselines, {
        ...(options.measure !== undefined ? { measure: options.measure } : {}),
        ...(options.delta !== undefined ? { delta: options.delta } : {}),
      });
      table.notes.unshift(...forced);
      io.stdout.write(renderTable(table, format, options.width ?? terminalWidth()));
    });
}

import type { Command } from '@commander-js/extra-typings';
import { log } from '../../core/log.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('write one self-contained HTML page: comparison table, per-task bar chart, per-query distributions, manifests')
    .argument('<results-dir...>', 'directories written by `reasonir eval --out`')
    .requiredOption('--out <file>', 'HTML file to write')
    .option('--baselines <names>', 'published rows to include, comma-separated; "none" for none; default: the row matching each run')
    .option('--measure <name>', 'measure for the table, the chart and the distributions (default: the run\'s headline)')
    .option('--delta <ref>', 'difference row against this row (default: the first published row)')
    .option('--title <text>', 'page title')
    .option('--force', 'set the runs against each other even when their settings differ (long vs short documents, top_k, dataset revision, measures); the output is marked', false)
    .action(async (dirs, options) => {
      const [{ writeFileAtomic }, { resolveBaselineOption }, { buildHtmlReport }, { readResultsDirs }, { enforceComparable }] = await Promise.all([
        import('../../core/atomic-file.js'),
        import('../../report/baseline.js'),
        import('../../report/html-report.js'),
        import('../../results/results-folder.js'),
        import('../../report/comparable.js'),
      ]);
      const runs = await readResultsDirs(dirs);
      const forced = await enforceComparable(runs, options.force, 'report');
      const baselines = await resolveBaselineOption(options.baselines, runs.map((run) => run.summary));
      const html = await buildHtmlReport(runs, baselines, {
        ...(options.measure !== undefined ? { measure: options.measure } : {}),
        ...(options.delta !== undefined ? { delta: options.delta } : {}),
        ...(options.title !== undefined ? { title: options.title } : {}),
        forced,
      });
      await writeFileAtomic(options.out, html);
      log.info(`wrote ${options.out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} kB)`);
    });
}

import { resolveBaselineOption } from '../report/baseline.js';
import { renderComparison } from '../report/render-table.js';
import { readResultsDir } from '../report/results-dir.js';
import { inPaperOrder } from '../report/task-columns.js';
import type { RunSummary } from '../report/results-dir.js';

const PER_TASK_MEASURES = ['NDCG@10', 'Recall@1', 'Recall@100', 'MAP@100', 'MRR'];

/**
 * What `eval` prints on stdout: one line per task with the headline measures (x100) and the published value for
 * the same setting, then the paper-style comparison table.
 */
export async function renderEvalTables(outDir: string, summary: RunSummary): Promise<string> {
  const results = await readResultsDir(outDir);
  const baselines = await resolveBaselineOption(undefined, [summary]);
  const published = baselines[0];
  const publishedTasks = published?.measures[summary.headline]?.tasks;
  const header = ['task', ...PER_TASK_MEASURES, published ? `published ${summary.headline} (${published.name})` : 'published'];
  const lines = inPaperOrder(Object.keys(summary.tasks)).map((task) => {
    const aggregate = summary.tasks[task]!.aggregate;
    const value = publishedTasks?.[task];
    return [
      task,
      ...PER_TASK_MEASURES.map((measure) => (aggregate[measure] === undefined ? '' : (100 * aggregate[measure]).toFixed(2))),
      value === undefined || !published ? '-' : ((value * 100) / published.scale).toFixed(1),
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (line: string[]) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const perTask = [format(header), ...lines.map(format)].join('\n');
  return `${perTask}\n\n${renderComparison([results], baselines)}`;
}

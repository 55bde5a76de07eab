import { DEFAULT_DATASET } from '../dataset/registry.js';
import { resolveBaselineOption, type BaselineRow } from '../report/baseline.js';
import { formatDelta, renderComparison } from '../report/render-table.js';
import { readResultsDir } from '../results/results-folder.js';
import { inPaperOrder } from '../report/task-columns.js';
import type { RunSummary } from '../results/results-folder.js';

const OTHER_MEASURES = ['NDCG@10', 'Recall@1', 'Recall@100', 'MAP@100', 'MRR'];

/**
 * What `eval` prints on stdout: one line per task with the headline value (x100), the published value for the
 * same setting and the difference, then as many other measures as the width allows; then the paper-style
 * comparison table (transposed in a narrow terminal). `publishedRows`: the published rows already being read (eval's
 * terminal lines read them from the first task on), else they are read here.
 */
export async function renderEvalTables(outDir: string, summary: RunSummary, width?: number, publishedRows?: Promise<BaselineRow[]>): Promise<string> {
  const results = await readResultsDir(outDir);
  // published numbers were measured on xlangai/BRIGHT; another dataset (--dataset) is compared with none
  const baselines = summary.dataset.repo === DEFAULT_DATASET.repo ? await resolveBaselineOption(undefined, [summary], publishedRows) : [];
  const published = baselines[0];
  const publishedTasks = published?.measures[summary.headline]?.tasks;
  const headline = summary.headline;
  const others = OTHER_MEASURES.filter((measure) => measure !== headline);
  const tasks = inPaperOrder(Object.keys(summary.tasks));
  const rows = tasks.map((task) => {
    const aggregate = summary.tasks[task]!.aggregate;
    const points = (measure: string) => (aggregate[measure] === undefined ? undefined : 100 * aggregate[measure]!);
    const reference = publishedTasks?.[task];
    const publishedPoints = reference === undefined || !published ? undefined : (reference * 100) / published.scale;
    const value = points(headline);
    return [
      task,
      value === undefined ? '' : value.toFixed(2),
      publishedPoints === undefined ? '-' : publishedPoints.toFixed(1),
      value === undefined || publishedPoints === undefined ? '-' : formatDelta(value - publishedPoints),
      ...others.map((measure) => points(measure)?.toFixed(2) ?? ''),
    ];
  });
  const header = ['task', headline, 'published', 'Δ', ...others];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((line) => line[i]!.length)));
  // the first four columns always; then other measures while they fit
  let shown = 4;
  const widthOf = (count: number) => widths.slice(0, count).reduce((sum, w) => sum + w, 0) + 2 * (count - 1);
  while (shown < header.length && (width === undefined || widthOf(shown + 1) <= width)) shown++;
  const format = (line: string[]) => line.slice(0, shown).map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const source = published ? `published: ${published.label} [${published.name}]` : 'published: nothing was published for this setting';
  const perTask = [format(header), ...rows.map(format), source].join('\n');
  return `${perTask}\n\n${renderComparison([results], baselines, { ...(width !== undefined ? { width } : {}) })}`;
}

import { log } from '../core/log.js';
import { formatDuration, progressVisible, setProgressScope } from '../core/progress.js';
import { loadPublishedBaselines, resolveBaselineOption, type BaselineRow } from '../report/baseline.js';
import { formatDelta } from '../report/render-table.js';
import type { RunSummary } from '../results/results-folder.js';
import type { EvaluationObserver } from '../pipeline/run-evaluation.js';
import { nowMs } from '../core/clock.js';

/**
 * What `eval` shows on stderr while it runs: each stage's in-place line starts with `[i/N]`, and a finished task
 * collapses to one line with its headline value, the published value for the same setting and the difference.
 */
export function evalTerminal(): EvaluationObserver & { elapsedSeconds(): number; publishedRows(): Promise<BaselineRow[]> } {
  const started = nowMs();
  /**
   * The published rows, read from the first task's start: the thread pool reads them while the task runs, not after
   * it on the way to the exit. A failure is reported where they are used, as before.
   */
  let rows: Promise<BaselineRow[]> | undefined;
  const publishedRows = () => {
    if (rows === undefined) {
      rows = loadPublishedBaselines();
      rows.catch(() => undefined);
    }
    return rows;
  };
  let published: Promise<BaselineRow | undefined> | undefined;
  return {
    taskStarted(task, index, count) {
      publishedRows();
      setProgressScope(`[${index + 1}/${count}]`);
      // without a status line (a pipe, CI, --no-progress) a log still shows what is running
      if (!progressVisible()) log.info(`[${index + 1}/${count}] ${task} …`);
    },
    async taskFinished(task, index, count, seconds, summary: RunSummary) {
      setProgressScope('');
      published ??= resolveBaselineOption(undefined, [summary], publishedRows()).then((chosen) => chosen[0]);
      const row = await published;
      const measure = summary.headline;
      const value = summary.tasks[task]?.aggregate[measure];
      const reference = row?.measures[measure]?.tasks[task];
      const points = value === undefined ? undefined : 100 * value;
      const publishedPoints = reference === undefined || !row ? undefined : (reference * 100) / row.scale;
      const parts = [
        `[${index + 1}/${count}] ${task}`,
        `${measure} ${points === undefined ? '-' : points.toFixed(2)}`,
        `published ${publishedPoints === undefined ? '-' : publishedPoints.toFixed(1)}`,
        `Δ ${points === undefined || publishedPoints === undefined ? '-' : formatDelta(points - publishedPoints)}`,
        formatDuration(seconds),
      ];
      log.info(parts.join('  '));
    },
    elapsedSeconds: () => (nowMs() - started) / 1000,
    /** The published rows as read for the terminal lines (read now if no task started), for the final table. */
    publishedRows,
  };
}

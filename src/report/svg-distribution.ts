import { seriesColor } from './chart-palette.js';
import { escapeHtml } from './html-escape.js';
import { seededRandom } from '../core/seeded-random.js';
import type { TaskColumn } from './task-columns.js';

/** One run's per-query values (0-1 scale) per task. */
export interface RunDistribution {
  label: string;
  perTask: Map<string, number[]>;
}

/** Quantile with linear interpolation between order statistics (numpy's default), of sorted values. */
export function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Widest box; with many runs boxes get narrower so the chart fits FIT_WIDTH (a 1,280 px page). */
const MAX_BOX = 22;
const GAP = 12;
const FIT_WIDTH = 1180;
const LEFT = 44;
const TOP = 42;
const PLOT_HEIGHT = 220;
const MIN_WIDTH = 560;

/**
 * Per task, one box per run: quartiles, median line, whiskers to min and max, the mean as a white diamond, and every
 * query as a faint dot (jittered with a fixed seed, so the page is reproducible). Boxes are `rect.box` with
 * `data-task` and `data-run`.
 */
export function distributionSvg(columns: TaskColumn[], runs: RunDistribution[], measure: string): string {
  const BOX = Math.max(8, Math.min(MAX_BOX, Math.floor(((FIT_WIDTH - LEFT - 16) / Math.max(1, columns.length) - GAP) / Math.max(1, runs.length))));
  const groupWidth = Math.max(44, Math.max(1, runs.length) * BOX + GAP);
  // never narrower than the legend line (the 8 long-document columns with one run are only ~410 px)
  const width = Math.max(MIN_WIDTH, LEFT + columns.length * groupWidth + 16);
  const height = TOP + PLOT_HEIGHT + 40 + 18 * runs.length + 8;
  const y = (value: number) => TOP + PLOT_HEIGHT - value * PLOT_HEIGHT;
  const random = seededRandom(7);
  const caption = `Per-query ${measure} x100`;
  const legend = 'box: quartiles and median; whiskers: min and max; diamond: mean; dots: queries';
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="distribution-chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${escapeHtml(`${caption} (${legend})`)}</title>`,
    `<text x="${LEFT}" y="16" font-size="13" font-weight="600">${escapeHtml(caption)}</text>`,
    `<text x="${LEFT}" y="29" fill="#555">${escapeHtml(legend)}</text>`,
  ];
  for (let tick = 0; tick <= 100; tick += 20) {
    parts.push(
      `<line x1="${LEFT}" x2="${width - 16}" y1="${y(tick / 100)}" y2="${y(tick / 100)}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${y(tick / 100) + 4}" text-anchor="end" fill="#555">${tick}</text>`,
    );
  }
  columns.forEach((column, g) => {
    const x0 = LEFT + g * groupWidth + (groupWidth - runs.length * BOX) / 2;
    runs.forEach((run, r) => {
      const values = run.perTask.get(column.task);
      if (!values || values.length === 0) return;
      const sorted = [...values].sort((a, b) => a - b);
      const [q1, median, q3] = [0.25, 0.5, 0.75].map((p) => quantile(sorted, p)) as [number, number, number];
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const left = x0 + r * BOX + 2;
      const mid = left + (BOX - 4) / 2;
      const color = seriesColor(r);
      for (const value of values) {
        const jitter = (random() - 0.5) * (BOX - 8);
        parts.push(`<circle cx="${(mid + jitter).toFixed(1)}" cy="${y(value).toFixed(1)}" r="1.4" fill="${color}" fill-opacity="0.28"/>`);
      }
      const summary = `${run.label} — ${column.heading}: n=${values.length}, mean ${(mean * 100).toFixed(1)}, median ${(median * 100).toFixed(1)}, quartiles ${(q1 * 100).toFixed(1)}–${(q3 * 100).toFixed(1)}`;
      parts.push(
        `<line x1="${mid}" x2="${mid}" y1="${y(sorted[0]!)}" y2="${y(sorted[sorted.length - 1]!)}" stroke="${color}"/>`,
        `<rect class="box" data-task="${escapeHtml(column.task)}" data-run="${r}" x="${left}" y="${y(q3).toFixed(2)}" width="${BOX - 4}" height="${Math.max(1, y(q1) - y(q3)).toFixed(2)}" fill="${color}" fill-opacity="0.35" stroke="${color}"><title>${escapeHtml(summary)}</title></rect>`,
        `<line x1="${left}" x2="${left + BOX - 4}" y1="${y(median).toFixed(2)}" y2="${y(median).toFixed(2)}" stroke="${color}" stroke-width="2"/>`,
        `<path d="M${mid} ${(y(mean) - 4).toFixed(2)} l4 4 l-4 4 l-4 -4 z" fill="#fff" stroke="${color}"/>`,
      );
    });
    parts.push(`<text x="${x0 + (runs.length * BOX) / 2}" y="${TOP + PLOT_HEIGHT + 14}" text-anchor="middle">${escapeHtml(column.heading)}</text>`);
  });
  parts.push(`<line x1="${LEFT}" x2="${width - 16}" y1="${TOP + PLOT_HEIGHT}" y2="${TOP + PLOT_HEIGHT}" stroke="#333"/>`);
  runs.forEach((run, r) => {
    const ly = TOP + PLOT_HEIGHT + 40 + r * 18;
    parts.push(
      `<rect class="legend" x="${LEFT}" y="${ly - 10}" width="12" height="12" fill="${seriesColor(r)}"/>`,
      `<text x="${LEFT + 18}" y="${ly}">${escapeHtml(run.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

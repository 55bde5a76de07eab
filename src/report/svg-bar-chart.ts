import { seriesColor } from './chart-palette.js';
import type { ComparisonTable } from './comparison-table.js';
import { escapeHtml } from './html-escape.js';

/** Widest bar; with many rows bars get narrower so the chart fits FIT_WIDTH (a 1,280 px page). */
const MAX_BAR = 16;
const GROUP_GAP = 10;
const FIT_WIDTH = 1180;
const LEFT = 44;
const TOP = 44;
const PLOT_HEIGHT = 240;
const BOTTOM = 64;
const MIN_WIDTH = 480;

function niceMax(value: number): number {
  const step = value <= 20 ? 5 : 10;
  return Math.max(step, Math.ceil(value / step) * step);
}

/**
 * Grouped bars: one group per task (then Avg), one bar per run or published row, in the table's row order.
 * Every bar is a `rect.bar` with `data-task` and `data-row` so tests (and readers of the DOM) can count them.
 */
export function barChartSvg(table: ComparisonTable): string {
  const series = table.rows.filter((row) => row.kind !== 'delta');
  const groups = [...table.columns.map((column) => ({ key: column.task, heading: column.heading, group: column.group })), { key: 'avg', heading: 'Avg', group: '' }];
  const valueAt = (rowIndex: number, groupIndex: number) => {
    const row = series[rowIndex]!;
    return groupIndex < table.columns.length ? row.values[groupIndex] ?? null : row.avg;
  };
  let max = 0;
  series.forEach((_, r) => groups.forEach((_, g) => (max = Math.max(max, valueAt(r, g) ?? 0))));
  const yMax = niceMax(max);
  const count = Math.max(1, series.length);
  const BAR = Math.max(6, Math.min(MAX_BAR, Math.floor((FIT_WIDTH - LEFT - 16) / groups.length - GROUP_GAP) / count));
  // wide enough for the column heading (`TheoQ`) even with one or two series
  const groupWidth = Math.max(44, count * BAR + GROUP_GAP);
  // never narrower than the title and the note under the legend
  const width = Math.max(MIN_WIDTH, LEFT + groups.length * groupWidth + 16);
  // an Avg over some of the tasks is not comparable with a full one: drawn pale, and said so under the legend
  const partialAvg = (row: (typeof series)[number]) => row.avg !== null && row.avgCovers < table.columns.length;
  const anyPartial = series.some(partialAvg);
  const legendHeight = 18 * series.length + 8 + (anyPartial ? 18 : 0);
  const height = TOP + PLOT_HEIGHT + BOTTOM + legendHeight;
  const y = (value: number) => TOP + PLOT_HEIGHT - (value / yMax) * PLOT_HEIGHT;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${escapeHtml(`${table.measure} x100 per task`)}</title>`,
    `<text x="${LEFT}" y="16" font-size="13" font-weight="600">${escapeHtml(`${table.measure} x100 per task`)}</text>`,
  );
  const step = yMax <= 20 ? 5 : 10;
  for (let tick = 0; tick <= yMax; tick += step) {
    parts.push(
      `<line x1="${LEFT}" x2="${width - 16}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${LEFT - 6}" y="${y(tick) + 4}" text-anchor="end" fill="#555">${tick}</text>`,
    );
  }
  groups.forEach((group, g) => {
    const x0 = LEFT + g * groupWidth + (groupWidth - series.length * BAR) / 2;
    // a group boundary (StackExchange | Coding | Theorem-based | Avg) gets a divider
    if (g > 0 && groups[g - 1]!.group !== group.group) {
      const xDivider = LEFT + g * groupWidth;
      parts.push(`<line x1="${xDivider}" x2="${xDivider}" y1="${TOP - 6}" y2="${TOP + PLOT_HEIGHT + 40}" stroke="#999" stroke-dasharray="3,3"/>`);
    }
    series.forEach((row, r) => {
      const value = valueAt(r, g);
      if (value === null) return;
      const top = y(Math.max(0, value));
      const partial = group.key === 'avg' && partialAvg(row);
      const heading = partial ? `Avg over ${row.avgCovers}/${table.columns.length} tasks` : group.heading;
      parts.push(
        `<rect class="bar" data-task="${escapeHtml(group.key)}" data-row="${r}" x="${x0 + r * BAR}" y="${top.toFixed(2)}" width="${BAR - 1}" height="${(TOP + PLOT_HEIGHT - top).toFixed(2)}" fill="${seriesColor(r)}"${partial ? ' fill-opacity="0.4"' : ''}>` +
          `<title>${escapeHtml(`${row.label} — ${heading}: ${value.toFixed(1)}`)}</title></rect>`,
      );
      // the value written on the bar, upward from its top, so a reader needs no hover
      const cx = x0 + r * BAR + (BAR - 1) / 2;
      parts.push(
        `<text class="value" data-task="${escapeHtml(group.key)}" data-row="${r}" transform="translate(${(cx + 3).toFixed(1)} ${(top - 3).toFixed(1)}) rotate(-90)" font-size="${BAR >= 10 ? 9 : 8}" fill="#333">${value.toFixed(1)}</text>`,
      );
    });
    const cx = x0 + (series.length * BAR) / 2;
    parts.push(`<text x="${cx}" y="${TOP + PLOT_HEIGHT + 14}" text-anchor="middle">${escapeHtml(group.heading)}</text>`);
    if (g === 0 || groups[g - 1]!.group !== group.group) {
      parts.push(`<text x="${LEFT + g * groupWidth + 4}" y="${TOP + PLOT_HEIGHT + 32}" fill="#555" font-style="italic">${escapeHtml(group.group)}</text>`);
    }
  });
  parts.push(`<line x1="${LEFT}" x2="${width - 16}" y1="${TOP + PLOT_HEIGHT}" y2="${TOP + PLOT_HEIGHT}" stroke="#333"/>`);
  series.forEach((row, r) => {
    const ly = TOP + PLOT_HEIGHT + BOTTOM + r * 18;
    parts.push(
      `<rect class="legend" x="${LEFT}" y="${ly - 10}" width="12" height="12" fill="${seriesColor(r)}"/>`,
      `<text x="${LEFT + 18}" y="${ly}">${escapeHtml(`${row.label}${row.kind === 'published' ? ' (published)' : ''}`)}</text>`,
    );
  });
  if (anyPartial) {
    parts.push(
      `<text x="${LEFT}" y="${TOP + PLOT_HEIGHT + BOTTOM + series.length * 18}" fill="#555">pale Avg bar: mean over only the tasks the row has (k/${table.columns.length})</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

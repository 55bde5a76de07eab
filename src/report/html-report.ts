import type { BaselineRow } from './baseline.js';
import { buildComparisonWithDelta, type ComparisonTable, type TableOptions } from './comparison-table.js';
import { escapeHtml } from './html-escape.js';
import { formatAvg, formatPoints } from './render-table.js';
import { readTaskManifest, readTaskMetrics, resolveMeasureName, type ResultsDir } from './results-dir.js';
import { barChartSvg } from './svg-bar-chart.js';
import { distributionSvg, type RunDistribution } from './svg-distribution.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table.scores { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.scores th, table.scores td { padding: 3px 7px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
table.scores th:first-child, table.scores td:first-child { text-align: left; }
table.scores th.group { text-align: center; border-bottom: 1px solid #999; font-weight: 600; }
table.scores td.group-start, table.scores th.group-start { border-left: 1px solid #ccc; }
tr.published td:first-child { color: #555; } tr.delta td { font-style: italic; color: #555; }
.figure { overflow-x: auto; margin: 8px 0; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; } dl.meta dt { color: #666; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
.note { color: #666; font-size: 12px; }
.forced { background: #fde8e8; border: 1px solid #c0392b; color: #8e1b10; padding: 6px 10px; font-weight: 600; }
`;

function tableHtml(table: ComparisonTable): string {
  const n = table.columns.length;
  const groupStarts = new Set(table.columns.map((column, i) => (i === 0 || table.columns[i - 1]!.group !== column.group ? i : -1)));
  const groupCells: string[] = [];
  table.columns.forEach((column, i) => {
    if (!groupStarts.has(i)) return;
    const span = table.columns.slice(i).findIndex((other) => other.group !== column.group);
    groupCells.push(`<th class="group group-start" colspan="${span === -1 ? n - i : span}">${escapeHtml(column.group)}</th>`);
  });
  const cls = (i: number) => (groupStarts.has(i) ? ' class="group-start"' : '');
  const body = table.rows.map((row) => {
    const avgText = formatAvg(row, n);
    const cells = row.values.map((value, i) => `<td${cls(i)}>${formatPoints(value, row.kind === 'delta')}</td>`).join('');
    return `<tr class="${row.kind}" data-source="${escapeHtml(row.source)}"><td>${escapeHtml(row.label)}</td>${cells}<td class="group-start">${escapeHtml(avgText)}</td></tr>`;
  });
  return [
    '<table class="scores">',
    `<thead><tr><th></th>${groupCells.join('')}<th class="group group-start"></th></tr>`,
    `<tr><th>${escapeHtml(table.measure)} x100</th>${table.columns.map((column, i) => `<th${cls(i)} title="${escapeHtml(column.task)}">${escapeHtml(column.heading)}</th>`).join('')}<th class="group-start">Avg</th></tr></thead>`,
    `<tbody>${body.join('\n')}</tbody>`,
    '</table>',
    ...table.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`),
  ].join('\n');
}

function runMetaHtml(result: ResultsDir): string {
  const s = result.summary;
  const entries: Array<[string, string]> = [
    ['directory', result.dir],
    ['retriever', s.retriever],
    ['model', s.model ?? '—'],
    ['queries', s.queries],
    ['long documents', s.long ? 'yes' : 'no'],
    ['dataset', `${s.dataset?.repo ?? '?'}@${s.dataset?.revision ?? '?'}`],
    ['reasonir', s.reasonir_version ?? '?'],
    ['created', s.created ?? '?'],
    ['tasks', Object.entries(s.tasks).map(([task, entry]) => `${task} (${entry.num_queries} queries)`).join(', ')],
  ];
  return `<dl class="meta">${entries.map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
}

export interface HtmlReportOptions extends TableOptions {
  title?: string;
  /** Shown in the footer; defaults to the time the page was built. */
  generated?: string;
  /** Setting differences overridden with --force: shown in a banner above everything. */
  forced?: string[];
}

/**
 * One self-contained page (inline CSS and SVG, no scripts, nothing fetched): the comparison table, a per-task bar
 * chart of the runs against the published rows, per-query distributions of the table's measure, and each task's
 * manifest (data revision, model, versions, timings).
 */
export async function buildHtmlReport(results: ResultsDir[], baselines: BaselineRow[], options: HtmlReportOptions = {}): Promise<string> {
  const table = buildComparisonWithDelta(results, baselines, options);
  const distributions: RunDistribution[] = [];
  const manifests: string[] = [];
  for (const result of results) {
    const perTask = new Map<string, number[]>();
    const runManifests: string[] = [];
    for (const column of table.columns) {
      if (!(column.task in result.summary.tasks)) continue;
      const metrics = await readTaskMetrics(result, column.task);
      const values: number[] = [];
      for (const measures of Object.values(metrics.per_query)) {
        const key = resolveMeasureName(table.measure, Object.keys(measures));
        const value = key === null ? undefined : measures[key];
        if (value !== undefined) values.push(value);
      }
      perTask.set(column.task, values);
      const manifest = await readTaskManifest(result, column.task);
      if (manifest !== null) {
        runManifests.push(`<details><summary>${escapeHtml(column.task)}</summary><pre>${escapeHtml(JSON.stringify(manifest, null, 2))}</pre></details>`);
      }
    }
    distributions.push({ label: result.label, perTask });
    manifests.push(
      `<h3>${escapeHtml(result.label)}</h3>\n${runMetaHtml(result)}\n${runManifests.join('\n') || '<p class="note">no manifest.json in this run</p>'}`,
    );
  }
  const title = options.title ?? `reasonir report: ${results.map((result) => result.label).join(', ') || 'published rows'}`;
  const generated = options.generated ?? new Date().toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${(options.forced ?? []).map((mark) => `<p class="forced">${escapeHtml(mark)}</p>`).join('\n')}
<h2>Scores</h2>
<div class="figure">${tableHtml(table)}</div>
<h2>Per task</h2>
<div class="figure">${barChartSvg(table)}</div>
<h2>Per-query distributions</h2>
${results.length > 0 ? `<div class="figure">${distributionSvg(table.columns, distributions, table.measure)}</div>` : '<p class="note">no runs given</p>'}
<h2>Runs and manifests</h2>
${manifests.join('\n') || '<p class="note">no runs given</p>'}
<h2>Published rows</h2>
<ul>${baselines.map((row) => `<li><b>${escapeHtml(row.label)}</b> [${escapeHtml(row.name)}]: ${escapeHtml(row.provenance.source)}${row.provenance.note ? ` — ${escapeHtml(row.provenance.note)}` : ''}</li>`).join('\n')}</ul>
<p class="note">Generated by reasonir at ${escapeHtml(generated)}.</p>
</body>
</html>
`;
}

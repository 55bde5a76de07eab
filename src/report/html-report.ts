import { HarnessError } from '../core/errors.js';
import type { BaselineRow } from './baseline.js';
import { compareResults, formatP, type RunComparison } from './compare-runs.js';
import { buildComparisonWithDelta, type ComparisonTable, type TableOptions } from './comparison-table.js';
import { escapeHtml } from './html-escape.js';
import { formatAvg, formatPoints, renderTable } from './render-table.js';
import { readTaskManifest, readTaskMetrics, resolveMeasureName, type ResultsDir } from '../results/results-folder.js';
import { barChartSvg } from './svg-bar-chart.js';
import { seriesColor } from './chart-palette.js';
import { distributionSvg, type RunDistribution } from './svg-distribution.js';

// max-width + padding stay under 1,280 px less a scrollbar: the page never scrolls sideways at that width
const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.headline { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.headline .card { border: 1px solid #ddd; border-left: 6px solid var(--colour); border-radius: 4px; padding: 8px 14px; flex: 1 1 260px; max-width: 370px; }
.headline .value { font-size: 30px; font-weight: 700; font-variant-numeric: tabular-nums; }
.headline .delta { font-size: 18px; font-weight: 600; margin-left: 8px; } .headline .up { color: #1a7f37; } .headline .down { color: #b42318; }
.headline .what { color: #555; font-size: 13px; }
table.scores, table.plain { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
table.scores th, table.scores td, table.plain th, table.plain td { padding: 3px 6px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
table.scores th:first-child, table.scores td:first-child, table.plain th:first-child, table.plain td:first-child { text-align: left; }
table.scores td:first-child { white-space: normal; max-width: 17em; }
td.significant { font-weight: 700; }
pre.copy { user-select: all; }
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

/** Per run: its average, the published average of its own setting and the difference (the table's Δ row). */
function headlineHtml(table: ComparisonTable): string {
  const n = table.columns.length;
  const cards = table.rows.flatMap((row, r) => {
    if (row.kind !== 'run' || row.avg === null) return [];
    const delta = table.rows.find((other) => other.kind === 'delta' && other.of === row.source);
    const reference = delta ? table.rows.find((other) => other.kind === 'published' && other.source === delta.source) : undefined;
    const partial = row.avgCovers < n ? ` over ${row.avgCovers}/${n} tasks (not comparable with a full average)` : '';
    const deltaHtml =
      delta?.avg !== null && delta?.avg !== undefined
        ? `<span class="delta ${delta.avg >= 0 ? 'up' : 'down'}">Δ ${formatPoints(delta.avg, true).replace('-', '−')}</span>`
        : '';
    // a partial Δ is the mean difference over the tasks both rows have, not run average minus published average
    const deltaOver =
      delta && delta.avg === null
        ? '; no task with a published value, so no Δ'
        : delta && delta.avgCovers < n
          ? `; Δ over the ${delta.avgCovers} task${delta.avgCovers === 1 ? '' : 's'} both have`
          : '';
    const against = reference ? `published ${formatPoints(reference.avg, false)} — ${escapeHtml(reference.label)}${deltaOver}` : 'nothing published for this setting';
    return [
      `<div class="card" style="--colour: ${seriesColor(r)}"><div class="what">${escapeHtml(row.label)}: ${escapeHtml(table.measure)} x100, average${escapeHtml(partial)}</div>` +
        `<div><span class="value">${formatPoints(row.avg, false)}</span>${deltaHtml}</div><div class="what">${against}</div></div>`,
    ];
  });
  return cards.length > 0 ? `<div class="headline">${cards.join('\n')}</div>` : '';
}

/** compare's paired tests over queries, per task; bold where both tests give p < 0.05. */
function significanceHtml(comparison: RunComparison): string {
  const points = (value: number, signed = false) => (Number.isNaN(value) ? 'n/a' : formatPoints(value * 100, signed));
  const rows = comparison.tasks.map((task) => {
    const significant = task.tTest.p < 0.05 && task.permutation.p < 0.05;
    return `<tr><td>${escapeHtml(task.task)}</td><td>${task.n}</td><td>${points(task.meanA)}</td><td>${points(task.meanB)}</td>` +
      `<td${significant ? ' class="significant"' : ''}>${points(task.delta, true)}</td><td>${formatP(task.tTest.p)}</td><td>${formatP(task.permutation.p)}${task.permutation.exact ? ' (exact)' : ''}</td></tr>`;
  });
  return [
    `<p>A = ${escapeHtml(comparison.a.label)}, B = ${escapeHtml(comparison.b.label)}; ${escapeHtml(comparison.measure)} x100 over the queries both runs evaluated. ` +
      `Two-sided p-values of a paired t-test and a paired sign-flip permutation test (all 2^n flips up to 16 queries, otherwise ${comparison.permutation.rounds} rounds, seed ${comparison.permutation.seed}); Δ in bold where both are below 0.05.</p>`,
    '<table class="plain"><thead><tr><th>task</th><th>n</th><th>A</th><th>B</th><th>Δ B−A</th><th>t-test p</th><th>perm. p</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table>`,
    ...(comparison.tasksOnlyInA.length + comparison.tasksOnlyInB.length > 0
      ? [`<p class="note">tasks in one run only (not tested): ${escapeHtml([...comparison.tasksOnlyInA, ...comparison.tasksOnlyInB].join(', '))}</p>`]
      : []),
  ].join('\n');
}

interface TaskManifestFacts {
  host?: { hostname?: string; platform?: string; cpus?: number; memory_bytes?: number; cpu_model?: string };
  timings_s?: Record<string, number>;
}

/** Where each run ran and how long each stage of each task took, from the task manifests. */
function hardwareHtml(result: ResultsDir, manifests: Map<string, TaskManifestFacts>): string {
  const hosts = new Set<string>();
  for (const manifest of manifests.values()) {
    const host = manifest.host;
    if (!host) continue;
    const memory = host.memory_bytes === undefined ? '' : `, ${(host.memory_bytes / 2 ** 30).toFixed(0)} GiB`;
    hosts.add(`${host.hostname ?? '?'} (${host.platform ?? '?'}, ${host.cpus ?? '?'} CPUs${host.cpu_model ? ` ${host.cpu_model}` : ''}${memory})`);
  }
  const stages = [...new Set([...manifests.values()].flatMap((manifest) => Object.keys(manifest.timings_s ?? {})))];
  if (stages.length === 0) return `<h3>${escapeHtml(result.label)}</h3><p class="note">no timings recorded</p>`;
  const totals = new Map<string, number>();
  const rows = [...manifests.entries()].map(([task, manifest]) => {
    const cells = stages.map((stage) => {
      const value = manifest.timings_s?.[stage];
      if (value !== undefined) totals.set(stage, (totals.get(stage) ?? 0) + value);
      return `<td>${value === undefined ? '' : value.toFixed(1)}</td>`;
    });
    const total = Object.values(manifest.timings_s ?? {}).reduce((sum, value) => sum + value, 0);
    return `<tr><td>${escapeHtml(task)}</td>${cells.join('')}<td>${total.toFixed(1)}</td></tr>`;
  });
  const grand = [...totals.values()].reduce((sum, value) => sum + value, 0);
  return [
    `<h3>${escapeHtml(result.label)}</h3>`,
    `<p>hardware: ${escapeHtml([...hosts].join('; ') || 'not recorded')}</p>`,
    `<table class="plain"><thead><tr><th>wall time (s)</th>${stages.map((stage) => `<th>${escapeHtml(stage.replace(/_s$/, ''))}</th>`).join('')}<th>total</th></tr></thead>`,
    `<tbody>${rows.join('\n')}<tr><td><b>all tasks</b></td>${stages.map((stage) => `<td><b>${(totals.get(stage) ?? 0).toFixed(1)}</b></td>`).join('')}<td><b>${grand.toFixed(1)}</b></td></tr></tbody></table>`,
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
  const hardware: string[] = [];
  for (const result of results) {
    const perTask = new Map<string, number[]>();
    const runManifests: string[] = [];
    const facts = new Map<string, TaskManifestFacts>();
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
        facts.set(column.task, manifest as TaskManifestFacts);
        runManifests.push(`<details><summary>${escapeHtml(column.task)}</summary><pre>${escapeHtml(JSON.stringify(manifest, null, 2))}</pre></details>`);
      }
    }
    distributions.push({ label: result.label, perTask });
    hardware.push(hardwareHtml(result, facts));
    manifests.push(
      `<h3>${escapeHtml(result.label)}</h3>\n${runMetaHtml(result)}\n${runManifests.join('\n') || '<p class="note">no manifest.json in this run</p>'}`,
    );
  }
  let significance = '';
  if (results.length === 2) {
    try {
      significance = significanceHtml(await compareResults(results[0]!, results[1]!, { measure: table.measure }));
    } catch (error) {
      // runs without a common task (or without the measure) have nothing to test: say so, as compare would
      if (!(error instanceof HarnessError)) throw error;
      significance = `<p class="note">${escapeHtml(error.message)}</p>`;
    }
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
${headlineHtml(table)}
<h2>Scores</h2>
<div class="figure">${tableHtml(table)}</div>
<details><summary>Markdown (select and copy)</summary><pre class="copy">${escapeHtml(renderTable(table, 'md'))}</pre></details>
<details><summary>LaTeX (booktabs; select and copy)</summary><pre class="copy">${escapeHtml(renderTable(table, 'latex'))}</pre></details>
<h2>Per task</h2>
<div class="figure">${barChartSvg(table)}</div>
${significance ? `<h2>Significance: ${escapeHtml(results[1]!.label)} against ${escapeHtml(results[0]!.label)}</h2>\n${significance}` : ''}
<h2>Per-query distributions</h2>
${results.length > 0 ? `<div class="figure">${distributionSvg(table.columns, distributions, table.measure)}</div>` : '<p class="note">no runs given</p>'}
<h2>Hardware and wall time per stage</h2>
${hardware.join('\n') || '<p class="note">no runs given</p>'}
<h2>Runs and manifests</h2>
${manifests.join('\n') || '<p class="note">no runs given</p>'}
<h2>Published rows</h2>
<ul>${baselines.map((row) => `<li><b>${escapeHtml(row.label)}</b> [${escapeHtml(row.name)}]: ${escapeHtml(row.provenance.source)}${row.provenance.note ? ` — ${escapeHtml(row.provenance.note)}` : ''}</li>`).join('\n')}</ul>
<p class="note">Generated by reasonir at ${escapeHtml(generated)}.</p>
</body>
</html>
`;
}

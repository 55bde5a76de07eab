import { usageError } from '../core/errors.js';
import type { BaselineRow } from './baseline.js';
import { buildComparisonWithDelta, type ComparisonTable, type TableOptions, type TableRow } from './comparison-table.js';
import type { ResultsDir } from './results-dir.js';

export const TABLE_FORMATS = ['text', 'md', 'csv', 'json'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export function parseTableFormat(value: string): TableFormat {
  if ((TABLE_FORMATS as readonly string[]).includes(value)) return value as TableFormat;
  throw usageError('unknown_format', `unknown format "${value}"; use one of ${TABLE_FORMATS.join(', ')}`);
}

/** Papers print x100 with one decimal; a delta carries its sign so +0.0 and -0.0 read as differences. */
export function formatPoints(value: number | null, signed: boolean): string {
  if (value === null) return '';
  const text = value.toFixed(1);
  if (!signed) return text;
  return text.startsWith('-') ? text : `+${text}`;
}

/** The Avg cell: `14.5`, or `18.9 (3/12)` when the row covers only some of the tasks. */
export function formatAvg(row: TableRow, columnCount: number): string {
  const text = formatPoints(row.avg, row.kind === 'delta');
  if (text === '' || row.avgCovers === columnCount) return text;
  return `${text} (${row.avgCovers}/${columnCount})`;
}

function groupsOf(table: ComparisonTable): Array<{ name: string; start: number; end: number }> {
  const groups: Array<{ name: string; start: number; end: number }> = [];
  table.columns.forEach((column, i) => {
    const last = groups[groups.length - 1];
    if (last && last.name === column.group) last.end = i + 1;
    else groups.push({ name: column.group, start: i, end: i + 1 });
  });
  return groups;
}

function title(table: ComparisonTable): string {
  return `${table.measure} x100`;
}

function renderText(table: ComparisonTable): string {
  const n = table.columns.length;
  const labelWidth = Math.max(title(table).length, ...table.rows.map((row) => row.label.length));
  const cells = table.rows.map((row) => row.values.map((value) => formatPoints(value, row.kind === 'delta')));
  const widths = table.columns.map((column, i) => Math.max(column.heading.length, ...cells.map((line) => line[i]!.length)));
  const avgTexts = table.rows.map((row) => formatAvg(row, n));
  const avgWidth = Math.max(3, ...avgTexts.map((text) => text.length));
  const groups = groupsOf(table);
  const groupWidth = (group: { start: number; end: number }) =>
    widths.slice(group.start, group.end).reduce((sum, w) => sum + w, 0) + 2 * (group.end - group.start - 1);
  // a group narrower than its name (Coding = Pony alone in the long-document setting) widens its last column
  for (const group of groups) widths[group.end - 1]! += Math.max(0, group.name.length - groupWidth(group));

  // one segment per group, cells right-aligned and separated by two spaces, groups by " │ "
  const line = (label: string, parts: string[], avg: string, pad: 'start' | 'end' = 'start') => {
    const segments = groups.map((group) =>
      parts
        .slice(group.start, group.end)
        .map((part, j) => (pad === 'start' ? part.padStart(widths[group.start + j]!) : part.padEnd(widths[group.start + j]!)))
        .join('  '),
    );
    return `${label.padEnd(labelWidth)} │ ${segments.join(' │ ')} │ ${pad === 'start' ? avg.padStart(avgWidth) : avg.padEnd(avgWidth)}`.trimEnd();
  };
  const groupLine = `${''.padEnd(labelWidth)} │ ${groups.map((group) => group.name.padEnd(groupWidth(group))).join(' │ ')} │`;
  const header = line(title(table), table.columns.map((column) => column.heading), 'Avg');
  const rule = header.replace(/[^│]/g, '─').replace(/│/g, '┼');
  const out = [groupLine, header, rule];
  table.rows.forEach((row, r) => {
    if (row.kind === 'delta' && table.rows[r - 1]?.kind !== 'delta') out.push(rule);
    out.push(line(row.label, cells[r]!, avgTexts[r]!));
  });
  return `${[...out, ...notesOf(table)].join('\n')}\n`;
}

function notesOf(table: ComparisonTable): string[] {
  const notes = [...table.notes];
  if (table.rows.some((row) => row.avg !== null && row.avgCovers !== table.columns.length)) {
    notes.push(`Avg (k/${table.columns.length}): the mean over the k tasks the row covers, not comparable with a full average.`);
  }
  return notes.map((note) => `note: ${note}`);
}

function escapeMarkdown(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function renderMarkdown(table: ComparisonTable): string {
  const n = table.columns.length;
  const groups = groupsOf(table)
    .map((group) => `${group.name}: ${table.columns.slice(group.start, group.end).map((column) => column.heading).join(', ')}`)
    .join('; ');
  const out = [
    `_${title(table)}. ${groups}._`,
    '',
    `| ${title(table)} | ${table.columns.map((column) => column.heading).join(' | ')} | Avg |`,
    `|---|${table.columns.map(() => '---:').join('|')}|---:|`,
  ];
  for (const row of table.rows) {
    const label = row.kind === 'delta' ? `_${escapeMarkdown(row.label)}_` : escapeMarkdown(row.label);
    out.push(`| ${label} | ${row.values.map((value) => formatPoints(value, row.kind === 'delta')).join(' | ')} | ${formatAvg(row, n)} |`);
  }
  const notes = notesOf(table);
  return `${[...out, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')}\n`;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function renderCsv(table: ComparisonTable): string {
  const n = table.columns.length;
  const lines = [['row', 'kind', 'source', ...table.columns.map((column) => column.task), 'avg', 'avg_covers', 'avg_of']];
  for (const row of table.rows) {
    const signed = row.kind === 'delta';
    lines.push([
      row.label,
      row.kind,
      row.source,
      ...row.values.map((value) => formatPoints(value, signed)),
      formatPoints(row.avg, signed),
      row.avg === null ? '' : String(row.avgCovers),
      String(n),
    ]);
  }
  return `${lines.map((line) => line.map(csvField).join(',')).join('\n')}\n`;
}

/** The table as data: unrounded values (measure x 100) keyed by task. */
export function tableToJson(table: ComparisonTable): unknown {
  return {
    measure: table.measure,
    scale: 100,
    long: table.long,
    columns: table.columns,
    rows: table.rows.map((row) => ({
      label: row.label,
      kind: row.kind,
      source: row.source,
      values: Object.fromEntries(table.columns.map((column, i) => [column.task, row.values[i] ?? null])),
      avg: row.avg,
      avgCovers: row.avgCovers,
      avgOf: table.columns.length,
      avgSource: row.avgSource,
    })),
    notes: table.notes,
  };
}

export function renderTable(table: ComparisonTable, format: TableFormat): string {
  switch (format) {
    case 'text':
      return renderText(table);
    case 'md':
      return renderMarkdown(table);
    case 'csv':
      return renderCsv(table);
    case 'json':
      return `${JSON.stringify(tableToJson(table), null, 2)}\n`;
  }
}

/**
 * What `eval` prints at the end of a run: the runs beside the published rows, with a delta row against the first
 * published row unless `options.delta` names another reference.
 */
export function renderComparison(
  results: ResultsDir[],
  baselines: BaselineRow[],
  options: TableOptions & { format?: TableFormat } = {},
): string {
  return renderTable(buildComparisonWithDelta(results, baselines, options), options.format ?? 'text');
}

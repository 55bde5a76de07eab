import { usageError } from '../core/errors.js';
import type { BaselineRow } from './baseline.js';
import { buildComparisonWithDelta, type ComparisonTable, type TableOptions, type TableRow } from './comparison-table.js';
import type { ResultsDir } from '../results/results-folder.js';

export const TABLE_FORMATS = ['text', 'md', 'csv', 'json', 'latex'] as const;
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

/** `+0.66`, `−1.20`: a per-task difference in points, with a real minus sign. */
export function formatDelta(points: number, digits = 2): string {
  const text = Math.abs(points).toFixed(digits);
  return `${points < 0 && Number(text) !== 0 ? '−' : '+'}${text}`;
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

/** Below this many columns the text table is transposed even when the wide layout would fit. */
export const NARROW_COLUMNS = 100;

/**
 * The text table for a terminal `width` columns wide: the paper layout (a row per run, a column per task) when it
 * fits and the terminal has at least NARROW_COLUMNS columns, otherwise transposed (a row per task, a numbered
 * column per run with a legend), which fits 80 columns for a few runs.
 */
function renderText(table: ComparisonTable, width?: number): string {
  const wide = renderWide(table);
  if (width === undefined) return wide;
  const widest = Math.max(...wide.split('\n').filter((line) => !line.startsWith('note: ')).map((line) => line.length));
  return width >= NARROW_COLUMNS && widest <= width ? wide : renderTransposed(table);
}

function renderTransposed(table: ComparisonTable): string {
  const n = table.columns.length;
  const keys = table.rows.map((_, i) => `[${i + 1}]`);
  const label = (row: TableRow) => {
    if (row.kind !== 'delta') return row.label;
    const self = table.rows.findIndex((other) => other.kind !== 'delta' && other.source === row.of);
    const reference = table.rows.findIndex((other) => other.kind !== 'delta' && other.source === row.source);
    return self >= 0 && reference >= 0 ? `Δ ${keys[self]} − ${keys[reference]}` : row.label;
  };
  const lines: string[][] = [[title(table), ...keys]];
  let group = '';
  const groupLines = new Map<number, string>();
  table.columns.forEach((column, i) => {
    if (column.group !== group) groupLines.set(lines.length, column.group);
    group = column.group;
    lines.push([column.task, ...table.rows.map((row) => formatPoints(row.values[i] ?? null, row.kind === 'delta'))]);
  });
  const avgLine = lines.length;
  lines.push(['Avg', ...table.rows.map((row) => formatPoints(row.avg, row.kind === 'delta'))]);
  // the (k/12) of a partial average gets a line of its own, so the value columns stay narrow
  if (table.rows.some((row) => row.avg !== null && row.avgCovers !== n)) {
    lines.push(['Avg over', ...table.rows.map((row) => (row.avg === null ? '' : `${row.avgCovers}/${n}`))]);
  }
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((line) => line[c]!.length)));
  const format = (line: string[]) => line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1));
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (i === avgLine) out.push(rule);
    const groupName = groupLines.get(i);
    if (groupName !== undefined) out.push(`${groupName}:`);
    out.push(format(line));
    if (i === 0) out.push(rule);
  });
  const legend = table.rows.map((row, i) => `${keys[i]} ${label(row)}${row.kind === 'run' ? ` (${row.source})` : row.kind === 'published' ? ` [${row.source}]` : ''}`);
  return `${[...out, '', ...legend, ...notesOf(table)].join('\n')}\n`;
}

function renderWide(table: ComparisonTable): string {
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

function escapeLatex(text: string): string {
  return text
    .replace(/[\\{}&%$#_^~]/g, (char) => ({ '\\': '\\textbackslash{}', '^': '\\^{}', '~': '\\~{}' })[char] ?? `\\${char}`)
    .replace(/Δ/g, '$\\Delta$')
    .replace(/−/g, '$-$');
}

/** A booktabs table to paste into a paper: the groups as spanning headings, delta rows in italics. */
function renderLatex(table: ComparisonTable): string {
  const n = table.columns.length;
  const groups = groupsOf(table);
  const spec = `l${groups.map((group) => 'r'.repeat(group.end - group.start)).join('')}r`;
  const out = [
    '% requires \\usepackage{booktabs}',
    '\\begin{tabular}{' + spec + '}',
    '\\toprule',
    ` & ${groups.map((group) => `\\multicolumn{${group.end - group.start}}{c}{${escapeLatex(group.name)}}`).join(' & ')} & \\\\`,
    groups.map((group) => `\\cmidrule(lr){${group.start + 2}-${group.end + 1}}`).join(''),
    `${escapeLatex(title(table))} & ${table.columns.map((column) => escapeLatex(column.heading)).join(' & ')} & Avg \\\\`,
    '\\midrule',
  ];
  table.rows.forEach((row, r) => {
    const signed = row.kind === 'delta';
    if (signed && table.rows[r - 1]?.kind !== 'delta') out.push('\\midrule');
    const cells = [escapeLatex(row.label), ...row.values.map((value) => formatPoints(value, signed)), escapeLatex(formatAvg(row, n))];
    out.push(`${(signed ? cells.map((cell) => (cell === '' ? cell : `\\textit{${cell}}`)) : cells).join(' & ')} \\\\`);
  });
  out.push('\\bottomrule', '\\end{tabular}');
  return `${[...out, ...notesOf(table).map((note) => `% ${note}`)].join('\n')}\n`;
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

/** `width`: the terminal's columns for the text format (see renderText); unbounded when absent. */
export function renderTable(table: ComparisonTable, format: TableFormat, width?: number): string {
  switch (format) {
    case 'text':
      return renderText(table, width);
    case 'latex':
      return renderLatex(table);
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
  options: TableOptions & { format?: TableFormat; width?: number } = {},
): string {
  return renderTable(buildComparisonWithDelta(results, baselines, options), options.format ?? 'text', options.width);
}

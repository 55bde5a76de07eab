import { usageError } from '../core/errors.js';
import { DEFAULT_DATASET } from '../dataset/registry.js';
import { defaultBaselineFor, type BaselineRow } from './baseline.js';
import { measuresOf, resolveMeasureName, type ResultsDir } from '../results/results-folder.js';
import { meanInOrder, taskColumns, type TaskColumn } from './task-columns.js';

export interface TableRow {
  label: string;
  kind: 'run' | 'published' | 'delta';
  /** The results directory or baseline name the row came from (the delta reference for delta rows). */
  source: string;
  /** Per column, measure x 100 (unrounded); null where the row has no value. */
  values: (number | null)[];
  /** Measure x 100: the mean of the row's unrounded values, or the source's printed average. */
  avg: number | null;
  /** How many columns `avg` covers; equal to the column count for a published average. */
  avgCovers: number;
  avgSource: 'computed' | 'published' | null;
  /** For a delta row: the source of the row the reference was subtracted from. */
  of?: string;
}

export interface ComparisonTable {
  measure: string;
  long: boolean;
  columns: TaskColumn[];
  rows: TableRow[];
  /** Things the reader must know (skipped rows, tasks outside the table). */
  notes: string[];
}

export interface TableOptions {
  /** Defaults to the first run's headline measure (NDCG@10, or Recall@1 for long documents). */
  measure?: string;
  /** A row label, results directory, baseline name or 1-based row number to subtract from every other row. */
  delta?: string;
}

function runRow(run: ResultsDir, columns: TaskColumn[], measure: string, notes: string[]): TableRow {
  const key = resolveMeasureName(measure, measuresOf(run));
  if (key === null) {
    throw usageError(
      'unknown_measure',
      `${run.dir} has no ${measure}; it has ${[...measuresOf(run)].join(', ') || 'no measures'}`,
    );
  }
  const raw = columns.map((column) => run.summary.tasks[column.task]?.aggregate[key] ?? null);
  const present = raw.filter((value): value is number => value !== null);
  const outside = Object.keys(run.summary.tasks).filter((task) => !columns.some((column) => column.task === task));
  if (outside.length > 0) notes.push(`${run.label}: tasks outside the table are not shown: ${outside.join(', ')}`);
  const mean = meanInOrder(present);
  return {
    label: run.label,
    kind: 'run',
    source: run.dir,
    values: raw.map((value) => (value === null ? null : value * 100)),
    avg: mean === null ? null : mean * 100,
    avgCovers: present.length,
    avgSource: mean === null ? null : 'computed',
  };
}

function publishedRow(row: BaselineRow, columns: TaskColumn[], measure: string, notes: string[]): TableRow | null {
  const key = resolveMeasureName(measure, Object.keys(row.measures));
  const entry = key === null ? undefined : row.measures[key];
  if (entry === undefined) {
    notes.push(`${row.name}: no ${measure} was published (it has ${Object.keys(row.measures).join(', ')}); row left out`);
    return null;
  }
  const toPoints = (value: number) => (value * 100) / row.scale;
  const values = columns.map((column) => {
    const value = entry.tasks[column.task];
    return value === undefined ? null : toPoints(value);
  });
  const present = values.filter((value): value is number => value !== null);
  if (entry.avg !== null) {
    return { label: row.label, kind: 'published', source: row.name, values, avg: toPoints(entry.avg), avgCovers: columns.length, avgSource: 'published' };
  }
  return { label: row.label, kind: 'published', source: row.name, values, avg: meanInOrder(present), avgCovers: present.length, avgSource: present.length > 0 ? 'computed' : null };
}

function findReference(rows: TableRow[], reference: string): TableRow {
  const index = /^\d+$/.test(reference) ? Number(reference) - 1 : -1;
  const found = rows[index] ?? rows.find((row) => row.label === reference || row.source === reference);
  if (!found) {
    throw usageError(
      'unknown_delta_reference',
      `--delta ${reference}: no such row; use a row number (1-${rows.length}), a label, a results directory or a baseline name: ${rows.map((row) => row.source).join(', ')}`,
    );
  }
  return found;
}

function deltaRow(row: TableRow, reference: TableRow, columnCount: number): TableRow {
  const values = row.values.map((value, i) => {
    const other = reference.values[i];
    return value === null || other === null || other === undefined ? null : value - other;
  });
  const present = values.filter((value): value is number => value !== null);
  const bothComplete = row.avgCovers === columnCount && reference.avgCovers === columnCount && row.avg !== null && reference.avg !== null;
  const avg = bothComplete ? row.avg! - reference.avg! : meanInOrder(present);
  return {
    label: `Δ ${row.label} − ${reference.label}`,
    kind: 'delta',
    source: reference.source,
    of: row.source,
    values,
    avg,
    avgCovers: bothComplete ? columnCount : present.length,
    avgSource: avg === null ? null : 'computed',
  };
}

/**
 * Our runs first, then the chosen published rows, then (with `delta`) one difference row per other row.
 * Columns follow the papers; the long-document setting has only the 8 tasks with long documents.
 */
export function buildComparisonTable(runs: ResultsDir[], baselines: BaselineRow[], options: TableOptions = {}): ComparisonTable {
  const measure = options.measure ?? runs[0]?.summary.headline ?? (baselines[0] ? Object.keys(baselines[0].measures)[0] : undefined) ?? 'NDCG@10';
  const long = runs.length > 0 ? runs.every((run) => run.summary.long) : baselines.length > 0 && baselines.every((row) => row.setting.long);
  const columns = taskColumns(long);
  const notes: string[] = [];
  const rows: TableRow[] = runs.map((run) => runRow(run, columns, measure, notes));
  for (const baseline of baselines) {
    const row = publishedRow(baseline, columns, measure, notes);
    if (row) rows.push(row);
  }
  if (rows.some((row) => row.kind === 'published')) {
    for (const run of runs) {
      if (run.summary.compare_as !== undefined) {
        notes.push(`${run.label}: compared with ${run.summary.compare_as}'s published rows by --compare-as; its weights are not ${run.summary.compare_as}'s registered checkpoint`);
      }
      const revision = run.summary.dataset?.revision;
      if (revision !== DEFAULT_DATASET.revision) {
        notes.push(`${run.label}: data revision ${revision ?? 'unknown'}, not the pinned ${DEFAULT_DATASET.revision.slice(0, 7)}; published numbers may not be comparable`);
      }
    }
  }
  if (options.delta !== undefined) {
    const reference = findReference(rows, options.delta);
    for (const row of [...rows]) if (row !== reference) rows.push(deltaRow(row, reference, columns.length));
  }
  return { measure, long, columns, rows, notes };
}

/**
 * The table with one delta row per run against the published row of that run's own setting (the first published
 * row when its own is not in the table); published rows get none, so no row reads published minus published.
 */
export function buildComparisonWithDelta(runs: ResultsDir[], baselines: BaselineRow[], options: TableOptions = {}): ComparisonTable {
  const table = buildComparisonTable(runs, baselines, options);
  if (options.delta !== undefined || runs.length === 0) return table;
  const published = table.rows.filter((row) => row.kind === 'published');
  if (published.length === 0) return table;
  const deltas = runs.map((run, i) => {
    const own = defaultBaselineFor(run.summary, baselines);
    const reference = published.find((row) => row.source === own?.name) ?? published[0]!;
    return deltaRow(table.rows[i]!, reference, table.columns.length);
  });
  return { ...table, rows: [...table.rows, ...deltas] };
}

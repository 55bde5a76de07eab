import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { usageError } from '../core/errors.js';
import { BASELINE_FORMAT, defaultBaselineFor, type BaselineFile, type BaselineRow } from './baseline.js';
import { describeSetting, measuresOf, resolveMeasureName, type ResultsDir } from '../results/results-folder.js';
import { inPaperOrder, meanInOrder, taskColumns } from './task-columns.js';

export type CheckStatus = 'OK' | 'within tolerance' | 'FAIL' | 'not run';

export interface CheckLine {
  measure: string;
  /** A task name, or `Avg`. */
  task: string;
  /** Our value on the 0-1 scale (unrounded). */
  ours: number | null;
  /** The baseline's value in its own scale, as written in the file. */
  expected: number | null;
  /** ours - expected in points (x100). */
  deltaPoints: number | null;
  status: CheckStatus;
  reason?: string;
}

export interface CheckReport {
  run: { label: string; dir: string };
  baseline: { name: string; label: string; from: string; exact: boolean; scale: number; decimals: number | null };
  /** Allowed |ours - expected| in points (x100) for "within tolerance". */
  tolerance: number;
  lines: CheckLine[];
  notes: string[];
  counts: Record<CheckStatus, number>;
  failed: boolean;
}

export interface CheckOptions {
  /** Measure names, or 'all' for every measure the baseline row has. Defaults to the run's headline measure. */
  measures?: string[] | 'all';
  tolerance?: number;
  /** The subset of the baseline's tasks to check (`--tasks`); without it every task of the baseline must be in the run. */
  tasks?: string[];
  /** Setting differences overridden with --force: they lead the report. */
  forced?: string[];
}

// Float noise in x100 conversions (0.189 * 100 = 18.900000000000002) must not decide a tolerance verdict.
const EPSILON = 1e-9;

/** The row of a baseline file to check a run against: the named one, the only one, or the run's default. */
export function chooseBaselineRow(file: BaselineFile, from: string, results: ResultsDir, rowName?: string): BaselineRow {
  if (rowName !== undefined) {
    const row = file.rows.find((candidate) => candidate.name === rowName);
    if (!row) throw usageError('unknown_baseline', `${from} has no row "${rowName}"; it has ${file.rows.map((r) => r.name).join(', ')}`);
    return row;
  }
  if (file.rows.length === 1) return file.rows[0]!;
  const row = defaultBaselineFor(results.summary, file.rows);
  if (row) return row;
  throw usageError(
    'ambiguous_baseline',
    `${from} has ${file.rows.length} rows and none is the default for ${describeSetting(results.summary)}; pick one with --row: ${file.rows.map((r) => r.name).join(', ')}`,
  );
}

function verdict(ok: boolean, deltaPoints: number, tolerance: number): CheckStatus {
  if (ok) return 'OK';
  return Math.abs(deltaPoints) <= tolerance + (tolerance > 0 ? EPSILON : 0) ? 'within tolerance' : 'FAIL';
}

function checkMeasure(results: ResultsDir, row: BaselineRow, measure: string, options: { tolerance: number; subset?: string[] }, notes: string[]): CheckLine[] {
  const { tolerance, subset } = options;
  const entry = row.measures[measure]!;
  const exact = row.decimals === null;
  const runKey = resolveMeasureName(measure, measuresOf(results));
  const ourValue = (task: string) => (runKey === null ? undefined : results.summary.tasks[task]?.aggregate[runKey]);
  const lines: CheckLine[] = [];
  const tasks = inPaperOrder(Object.keys(entry.tasks).filter((task) => subset === undefined || subset.includes(task)));

  for (const task of tasks) {
    const expected = entry.tasks[task]!;
    const ours = ourValue(task);
    if (ours === undefined) {
      // a task the baseline has and the run lacks is a failure, published or exact: name a subset with --tasks
      const status: CheckStatus = 'FAIL';
      const reason = runKey === null ? `the run has no ${measure}` : 'task missing from the run; check a subset with --tasks';
      lines.push({ measure, task, ours: null, expected, deltaPoints: null, status, reason });
      continue;
    }
    const scaled = ours * row.scale;
    const deltaPoints = ((scaled - expected) * 100) / row.scale;
    // a published cell matches when our value prints as it: compare the digits at the published precision
    const ok = exact ? scaled === expected : scaled.toFixed(row.decimals!) === expected.toFixed(row.decimals!);
    lines.push({ measure, task, ours, expected, deltaPoints, status: verdict(ok, deltaPoints, tolerance) });
  }

  // Published averages span the whole setting (12 tasks, or the 8 long ones); exact rows span their own tasks.
  const avgTasks = exact ? tasks : taskColumns(row.setting.long).map((column) => column.task);
  const allTasks = Object.keys(entry.tasks);
  const expectedAvg = entry.avg ?? (!exact && allTasks.length === avgTasks.length ? meanInOrder(avgTasks.map((task) => entry.tasks[task]!)) : null);
  const subsetCoversAvg = subset === undefined || avgTasks.every((task) => subset.includes(task));
  if (expectedAvg !== null && avgTasks.length > 0 && !subsetCoversAvg) {
    lines.push({ measure, task: 'Avg', ours: null, expected: expectedAvg, deltaPoints: null, status: 'not run', reason: `--tasks names ${subset!.length}/${avgTasks.length} tasks` });
  } else if (expectedAvg !== null && avgTasks.length > 0) {
    const ours = avgTasks.map(ourValue);
    const covered = ours.filter((value): value is number => value !== undefined);
    if (covered.length < avgTasks.length) {
      const reason = `the run covers ${covered.length}/${avgTasks.length} tasks; check a subset with --tasks`;
      lines.push({ measure, task: 'Avg', ours: null, expected: expectedAvg, deltaPoints: null, status: 'FAIL', reason });
    } else {
      const mean = meanInOrder(covered)!;
      const scaled = mean * row.scale;
      const deltaPoints = ((scaled - expectedAvg) * 100) / row.scale;
      // published averages were rounded (some from unrounded cells, some not): half a unit either way is OK
      const ok = exact ? scaled === expectedAvg : Math.abs(scaled - expectedAvg) <= 0.5 * 10 ** -row.decimals! + EPSILON;
      const reason = entry.avg === null ? { reason: 'expected = mean of the cells' } : {};
      lines.push({ measure, task: 'Avg', ours: mean, expected: expectedAvg, deltaPoints, status: verdict(ok, deltaPoints, tolerance), ...reason });
    }
  }

  const extra = runKey === null ? [] : Object.keys(results.summary.tasks).filter((task) => !(task in entry.tasks) && ourValue(task) !== undefined);
  if (extra.length > 0 && Object.keys(entry.tasks).length > 0) notes.push(`${measure}: not in the baseline, not checked: ${extra.join(', ')}`);
  return lines;
}

/**
 * Checks a run against one baseline row. Exact rows (written from a results directory) must match bit for bit to
 * be OK; published rows compare at their printed precision. Either way a task of the row that the run lacks FAILs,
 * unless `tasks` names the subset to check; the average is checked when the checked tasks cover the setting's.
 */
export function checkAgainst(results: ResultsDir, row: BaselineRow, from: string, options: CheckOptions = {}): CheckReport {
  const tolerance = options.tolerance ?? 0;
  if (!(tolerance >= 0)) throw usageError('bad_tolerance', `--tolerance must be a number >= 0 (points, x100); got ${tolerance}`);
  const requested = options.measures ?? [results.summary.headline];
  const measures =
    requested === 'all'
      ? Object.keys(row.measures)
      : requested.map((name) => {
          const key = resolveMeasureName(name, Object.keys(row.measures));
          if (key === null) throw usageError('unknown_measure', `baseline ${row.name} has no ${name}; it has ${Object.keys(row.measures).join(', ')}`);
          return key;
        });
  const notes: string[] = [...(options.forced ?? [])];
  const subset = options.tasks;
  if (subset !== undefined) {
    const unknown = subset.filter((task) => !Object.values(row.measures).some((entry) => task in entry.tasks) && !taskColumns(row.setting.long).some((column) => column.task === task));
    if (unknown.length > 0) throw usageError('unknown_task', `--tasks: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in baseline ${row.name}`);
  }
  const lines = measures.flatMap((measure) => checkMeasure(results, row, measure, { tolerance, ...(subset ? { subset } : {}) }, notes));
  const counts: Record<CheckStatus, number> = { OK: 0, 'within tolerance': 0, FAIL: 0, 'not run': 0 };
  for (const line of lines) counts[line.status]++;
  if (counts.OK + counts['within tolerance'] + counts.FAIL === 0) {
    throw usageError(
      'nothing_to_check',
      `${results.dir} (${Object.keys(results.summary.tasks).join(', ') || 'no tasks'}) shares nothing checkable with baseline ${row.name}; ` +
        'run the tasks it lists, all of them for an average-only row',
    );
  }
  return {
    run: { label: results.label, dir: results.dir },
    baseline: { name: row.name, label: row.label, from, exact: row.decimals === null, scale: row.scale, decimals: row.decimals },
    tolerance,
    lines,
    notes,
    counts,
    failed: counts.FAIL > 0,
  };
}

function shown(value: number | null, digits: number | null): string {
  if (value === null) return '';
  return digits === null ? String(value) : value.toFixed(digits);
}

function signedDelta(delta: number | null, exact: boolean): string {
  if (delta === null) return '';
  const text = exact && delta !== 0 && Math.abs(delta) < 0.001 ? delta.toExponential(2) : delta.toFixed(3);
  return text.startsWith('-') ? text : `+${text}`;
}

export function renderCheckReport(report: CheckReport, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const { baseline } = report;
  const digits = baseline.exact ? null : baseline.decimals! + 2;
  const header = ['measure', 'task', 'ours', 'expected', 'Δ points', 'status'];
  const rows = report.lines.map((line) => [
    line.measure,
    line.task,
    shown(line.ours === null ? null : line.ours * baseline.scale, digits),
    line.expected === null ? '' : baseline.exact ? String(line.expected) : line.expected.toFixed(baseline.decimals!),
    signedDelta(line.deltaPoints, baseline.exact),
    `${line.status}${line.reason ? ` (${line.reason})` : ''}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 2 || i === 3 || i === 4 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = baseline.exact
    ? 'exact baseline: OK = identical value'
    : `published at ${baseline.decimals} decimal(s)${baseline.scale === 100 ? ' x100' : ''}: OK = our value rounds to the cell; averages OK within half a unit`;
  const { counts } = report;
  return `${[
    `check: ${report.run.label} (${report.run.dir})`,
    `against: ${baseline.label} [${baseline.name}] from ${baseline.from}`,
    `${rule}; tolerance ±${report.tolerance} points (x100)`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    ...report.notes.map((note) => `note: ${note}`),
    '',
    `result: ${counts.OK} OK, ${counts['within tolerance']} within tolerance, ${counts.FAIL} FAIL, ${counts['not run']} not run` +
      (report.failed ? ' -> REGRESSION' : ''),
  ].join('\n')}\n`;
}

/** An exact baseline row from a results directory: every measure of every task, full precision. */
export function baselineFromResults(results: ResultsDir, name = 'expected'): BaselineRow {
  const tasks = inPaperOrder(Object.keys(results.summary.tasks));
  const measures: BaselineRow['measures'] = {};
  for (const measure of measuresOf(results)) {
    const values: Record<string, number> = {};
    for (const task of tasks) {
      const value = results.summary.tasks[task]!.aggregate[measure];
      if (value !== undefined) values[task] = value;
    }
    const ordered = Object.values(values);
    measures[measure] = { tasks: values, avg: ordered.length === tasks.length ? meanInOrder(ordered) : null };
  }
  const { summary } = results;
  return {
    name,
    label: `${results.label} (${path.basename(path.resolve(results.dir))})`,
    setting: { retriever: summary.retriever, model: summary.model, queries: summary.queries, long: summary.long },
    default: false,
    scale: 1,
    decimals: null,
    measures,
    provenance: {
      source: `reasonir ${summary.reasonir_version} results (${results.dir})`,
      dataset: summary.dataset,
      created: summary.created,
    },
  };
}

/** Writes `reasonir check --write-baseline FILE`: the documented baseline format, one exact row. */
export async function writeBaselineFile(results: ResultsDir, filePath: string, name?: string): Promise<BaselineFile> {
  const file: BaselineFile = {
    format: BASELINE_FORMAT,
    description: 'Expected results, written by `reasonir check --write-baseline`; `reasonir check --against` this file must find identical values.',
    rows: [baselineFromResults(results, name)],
  };
  await writeFileAtomic(filePath, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

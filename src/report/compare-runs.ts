import { usageError } from '../core/errors.js';
import {
  DEFAULT_ROUNDS,
  DEFAULT_SEED,
  pairedPermutationTest,
  pairedTTest,
  type PermutationResult,
  type TTestResult,
} from './paired-tests.js';
import { measuresOf, readTaskMetrics, resolveMeasureName, type ResultsDir } from '../results/results-folder.js';
import { formatPoints } from './render-table.js';
import { inPaperOrder } from './task-columns.js';

export interface QueryChange {
  qid: string;
  a: number;
  b: number;
  delta: number;
}

export interface TaskComparison {
  task: string;
  /** Queries present in both runs; tests and means use only these. */
  n: number;
  onlyInA: number;
  onlyInB: number;
  meanA: number;
  meanB: number;
  /** meanB - meanA. */
  delta: number;
  tTest: TTestResult;
  permutation: PermutationResult;
  /** The queries with the largest |b - a|, largest first (ties by qid). */
  changed: QueryChange[];
}

export interface RunComparison {
  a: { label: string; dir: string };
  b: { label: string; dir: string };
  measure: string;
  tasks: TaskComparison[];
  tasksOnlyInA: string[];
  tasksOnlyInB: string[];
  /** Random rounds and seed used where a task has too many queries for the exact permutation test. */
  permutation: { rounds: number; seed: number };
  /** Setting differences overridden with --force; the output leads with them. */
  forced: string[];
}

export interface CompareOptions {
  measure?: string;
  /** Changed queries listed per task. */
  top?: number;
  rounds?: number;
  seed?: number;
  forced?: string[];
}

function perQueryValues(perQuery: Record<string, Record<string, number>>, measure: string, where: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const [qid, measures] of Object.entries(perQuery)) {
    const key = resolveMeasureName(measure, Object.keys(measures));
    const value = key === null ? undefined : measures[key];
    if (value === undefined) throw usageError('unknown_measure', `${where}: query ${qid} has no ${measure}`);
    values.set(qid, value);
  }
  return values;
}

/** Per task, the paired difference of two runs over the queries both evaluated. */
export async function compareResults(a: ResultsDir, b: ResultsDir, options: CompareOptions = {}): Promise<RunComparison> {
  const requested = options.measure ?? a.summary.headline;
  const measure = resolveMeasureName(requested, measuresOf(a));
  if (measure === null) throw usageError('unknown_measure', `${a.dir} has no ${requested}; it has ${[...measuresOf(a)].join(', ')}`);
  const tasksA = Object.keys(a.summary.tasks);
  const tasksB = Object.keys(b.summary.tasks);
  const common = inPaperOrder(tasksA.filter((task) => tasksB.includes(task)));
  if (common.length === 0) {
    throw usageError('nothing_to_compare', `${a.dir} (${tasksA.join(', ')}) and ${b.dir} (${tasksB.join(', ')}) share no task`);
  }
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const seed = options.seed ?? DEFAULT_SEED;
  const tasks: TaskComparison[] = [];
  for (const task of common) {
    const valuesA = perQueryValues((await readTaskMetrics(a, task)).per_query, measure, `${a.dir}/${task}/metrics.json`);
    const valuesB = perQueryValues((await readTaskMetrics(b, task)).per_query, measure, `${b.dir}/${task}/metrics.json`);
    const qids = [...valuesA.keys()].filter((qid) => valuesB.has(qid));
    const pairedA = qids.map((qid) => valuesA.get(qid)!);
    const pairedB = qids.map((qid) => valuesB.get(qid)!);
    const mean = (values: number[]) => (values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length);
    const changed = qids
      .map((qid, i) => ({ qid, a: pairedA[i]!, b: pairedB[i]!, delta: pairedB[i]! - pairedA[i]! }))
      .filter((change) => change.delta !== 0)
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.qid < y.qid ? -1 : x.qid > y.qid ? 1 : 0))
      .slice(0, options.top ?? 5);
    const meanA = mean(pairedA);
    const meanB = mean(pairedB);
    tasks.push({
      task,
      n: qids.length,
      onlyInA: valuesA.size - qids.length,
      onlyInB: valuesB.size - qids.length,
      meanA,
      meanB,
      delta: meanB - meanA,
      tTest: pairedTTest(pairedA, pairedB),
      permutation: pairedPermutationTest(pairedA, pairedB, { rounds, seed }),
      changed,
    });
  }
  return {
    a: { label: a.label, dir: a.dir },
    b: { label: b.label, dir: b.dir },
    measure,
    tasks,
    tasksOnlyInA: tasksA.filter((task) => !tasksB.includes(task)),
    tasksOnlyInB: tasksB.filter((task) => !tasksA.includes(task)),
    permutation: { rounds, seed },
    forced: options.forced ?? [],
  };
}

export function formatP(p: number): string {
  if (Number.isNaN(p)) return 'n/a';
  if (p === 0) return '0';
  return p >= 0.001 ? p.toFixed(4) : p.toExponential(2);
}

function points(value: number, signed = false): string {
  return Number.isNaN(value) ? 'n/a' : formatPoints(value * 100, signed);
}

export function renderRunComparison(comparison: RunComparison, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(comparison, null, 2)}\n`;
  const header = ['task', 'n', 'A', 'B', 'Δ B−A', 't', 't-test p', 'perm. p'];
  const rows = comparison.tasks.map((task) => [
    task.task,
    String(task.n),
    points(task.meanA),
    points(task.meanB),
    points(task.delta, true),
    Number.isNaN(task.tTest.t) ? 'n/a' : Number.isFinite(task.tTest.t) ? task.tTest.t.toFixed(3) : String(task.tTest.t),
    formatP(task.tTest.p),
    `${formatP(task.permutation.p)}${task.permutation.exact ? ' (exact)' : ''}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((text, i) => (i === 0 ? text.padEnd(widths[i]!) : text.padStart(widths[i]!))).join('  ');
  const out = [
    ...comparison.forced,
    `A: ${comparison.a.label} (${comparison.a.dir})`,
    `B: ${comparison.b.label} (${comparison.b.dir})`,
    `${comparison.measure} x100 per task over the queries both runs evaluated; p-values are two-sided:`,
    `  t-test: paired t-test on the per-query differences (Student-t with n-1 degrees of freedom)`,
    `  perm.: paired permutation test (sign flips of the per-query differences: all 2^n for n <= 16, ` +
      `otherwise ${comparison.permutation.rounds} random rounds, seed ${comparison.permutation.seed})`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ];
  for (const task of comparison.tasks) {
    if (task.onlyInA + task.onlyInB > 0) out.push(`note: ${task.task}: ${task.onlyInA} queries only in A, ${task.onlyInB} only in B (left out)`);
  }
  if (comparison.tasksOnlyInA.length > 0) out.push(`note: tasks only in A: ${comparison.tasksOnlyInA.join(', ')}`);
  if (comparison.tasksOnlyInB.length > 0) out.push(`note: tasks only in B: ${comparison.tasksOnlyInB.join(', ')}`);
  out.push('', `queries that changed most (${comparison.measure} x100, A -> B):`);
  // one aligned block over all tasks: qids and values differ in width (`4` vs `89`, `9.5` vs `72.7`)
  const cellsOf = (task: TaskComparison) =>
    task.changed.map((change) => [task.task, change.qid, points(change.a), points(change.b), `(${points(change.delta, true)})`]);
  const all = comparison.tasks.flatMap(cellsOf);
  const w = [0, 1, 2, 3, 4].map((i) => Math.max(0, ...all.map((cells) => cells[i]!.length)));
  for (const task of comparison.tasks) {
    if (task.changed.length === 0) out.push(`  ${task.task}: no query changed`);
    for (const [name, qid, a, b, delta] of cellsOf(task)) {
      out.push(`  ${name!.padEnd(w[0]!)}  ${qid!.padEnd(w[1]!)}  ${a!.padStart(w[2]!)} -> ${b!.padStart(w[3]!)}  ${delta!.padStart(w[4]!)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

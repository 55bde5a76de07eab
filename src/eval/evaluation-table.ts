import type { Evaluation } from './evaluate.js';
import type { Measure, MeasureFamily } from './measure.js';
import { pythonRound } from './python-float.js';

const familyOrder: readonly MeasureFamily[] = ['NDCG', 'MAP', 'Recall', 'P', 'MRR', 'Success', 'Judged'];

/** A value as BRIGHT reports it: Python round(x, 5), five decimals. */
function cell(value: number | undefined): string {
  return value === undefined ? '' : pythonRound(value, 5).toFixed(5);
}

function alignRows(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((text, column) => (column === 0 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!))).join('  ').trimEnd()).join('\n');
}

/**
 * The mean of each measure as a family x cutoff grid (`NDCG  0.12345 ...`), then the whole-ranking measures (MRR,
 * map, ndcg) one per line under the name asked for; values rounded as in results.json.
 */
export function formatAggregateTable(evaluation: Evaluation, measures: readonly Measure[]): string {
  const cutoffs = [...new Set(measures.flatMap((m) => (m.cutoff === null ? [] : [m.cutoff])))].sort((a, b) => a - b);
  const rows: string[][] = [];
  for (const family of familyOrder) {
    const ofFamily = measures.filter((m) => m.family === family && m.cutoff !== null);
    if (ofFamily.length > 0) {
      // the row is labelled as the first of its measures was asked for: nDCG, ndcg_cut, NDCG
      rows.push([ofFamily[0]!.name.replace(/[@._]?\d+$/, ''), ...cutoffs.map((k) => cell(evaluation.aggregate[ofFamily.find((m) => m.cutoff === k)?.name ?? '']))]);
    }
  }
  const whole = measures.filter((m) => m.cutoff === null);
  const labelWidth = Math.max(...whole.map((m) => m.name.length), ...rows.map((row) => row[0]!.length));
  const grid = rows.length > 0 ? `${alignRows([['', ...cutoffs.map((k) => `@${k}`)], ...rows].map((row) => [row[0]!.padEnd(labelWidth), ...row.slice(1)]))}\n` : '';
  return grid + whole.map((m) => `${m.name.padEnd(labelWidth)}  ${cell(evaluation.aggregate[m.name])}\n`).join('');
}

/** One row per evaluated query, one column per measure. */
export function formatPerQueryTable(evaluation: Evaluation, measures: readonly Measure[]): string {
  const rows = [['qid', ...measures.map((m) => m.name)]];
  for (const queryId of evaluation.queryOrder) {
    const values = evaluation.perQuery.get(queryId)!;
    rows.push([queryId, ...measures.map((m) => cell(values[m.name]))]);
  }
  return `${alignRows(rows)}\n`;
}

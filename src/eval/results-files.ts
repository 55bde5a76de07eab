import path from 'node:path';
import { writeFilesAtomic } from '../core/atomic-file.js';
import { dataError } from '../core/errors.js';
import type { Evaluation } from './evaluate.js';
import type { Measure } from './measure.js';
import { pythonFloatRepr, pythonRound } from './python-float.js';
import { pythonJsonDump, type PythonJsonValue } from './python-json.js';

/** BRIGHT's results.json: each mean rounded with Python's round(x, 5), written as BRIGHT's json.dump(indent=2). */
export function formatBrightResults(evaluation: Evaluation, measures: readonly Measure[]): string {
  return pythonJsonDump(new Map(measures.map((m) => [m.name, pythonRound(evaluation.aggregate[m.name]!, 5)])), 2);
}

/** `{"aggregate": {measure: mean}, "per_query": {qid: {measure: value}}}` at full precision, query order kept. */
export function formatMetricsJson(evaluation: Evaluation, measures: readonly Measure[]): string {
  const pick = (values: Record<string, number>) => new Map<string, PythonJsonValue>(measures.map((m) => [m.name, values[m.name]!]));
  const perQuery = new Map<string, PythonJsonValue>();
  for (const queryId of evaluation.queryOrder) perQuery.set(queryId, pick(evaluation.perQuery.get(queryId)!));
  return `${pythonJsonDump(new Map<string, PythonJsonValue>([['aggregate', pick(evaluation.aggregate)], ['per_query', perQuery]]), 2)}\n`;
}

/** One row per evaluated query (`qid` then one column per measure), full precision. */
export function formatPerQueryTsv(evaluation: Evaluation, measures: readonly Measure[]): string {
  const lines = [['qid', ...measures.map((m) => m.name)].join('\t')];
  for (const queryId of evaluation.queryOrder) {
    if (/[\t\n\r]/.test(queryId)) throw dataError('tsv_unwritable', `query id ${JSON.stringify(queryId)} contains a tab or newline and cannot be a TSV cell`);
    const values = evaluation.perQuery.get(queryId)!;
    lines.push([queryId, ...measures.map((m) => pythonFloatRepr(values[m.name]!))].join('\t'));
  }
  return `${lines.join('\n')}\n`;
}

/** Writes dir/results.json (BRIGHT's file), dir/metrics.json and dir/per_query.tsv, each atomically (synced together). */
export async function writeEvaluationFiles(dir: string, evaluation: Evaluation, measures: readonly Measure[], resultsMeasures = measures): Promise<void> {
  const names = ['results.json', 'metrics.json', 'per_query.tsv'];
  await writeFilesAtomic(names.map((name) => path.join(dir, name)), ([results, metrics, perQuery]) => {
    results!(Buffer.from(formatBrightResults(evaluation, resultsMeasures)));
    metrics!(Buffer.from(formatMetricsJson(evaluation, measures)));
    perQuery!(Buffer.from(formatPerQueryTsv(evaluation, measures)));
  });
}

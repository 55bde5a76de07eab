import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.js';
import { DEFAULT_MEASURES, trecEvalName } from '../../src/eval/measure.js';
import { pythonRound } from '../../src/eval/python-float.js';
import { formatBrightResults } from '../../src/eval/results-files.js';
import { readRunFile, readRunForScoring } from '../../src/eval/run-file.js';
import type { ScorableRun } from '../../src/eval/ranking.js';
import { readQrelsFile } from '../../src/eval/trec-qrels.js';
import { fixturesRoot } from '../helpers/cli.js';

interface Expected {
  case: string;
  num_queries_evaluated: number;
  eval_query_order: string[];
  per_query: Record<string, Record<string, number>>;
  aggregate_full_precision: Record<string, number>;
  aggregate_bright_rounded: Record<string, number>;
}

const committed = path.join(fixturesRoot, 'trec_eval');

function caseDirs(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, entry.name, 'expected.json')))
    .map((entry) => path.join(root, entry.name))
    .sort();
}

/**
 * Every per-query value and the full-precision mean must equal pytrec_eval's / BRIGHT's bit for bit, from the run
 * as RankedLists (readRunFile) and in the compact form `score` uses (readRunForScoring).
 */
async function checkCase(dir: string): Promise<void> {
  for (const read of [readRunFile, readRunForScoring]) await checkRead(dir, await read(path.join(dir, 'run.txt.gz')));
}

async function checkRead(dir: string, run: ScorableRun): Promise<void> {
  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
  const qrels = await readQrelsFile(path.join(dir, 'qrels.txt'));
  const evaluation = evaluate(run, qrels, DEFAULT_MEASURES);

  expect(evaluation.queryOrder).toEqual(expected.eval_query_order);
  expect(evaluation.queryOrder).toHaveLength(expected.num_queries_evaluated);
  let compared = 0;
  for (const queryId of expected.eval_query_order) {
    const ours = evaluation.perQuery.get(queryId)!;
    const theirs = expected.per_query[queryId]!;
    for (const measure of DEFAULT_MEASURES) {
      const reference = theirs[trecEvalName(measure)!];
      expect(reference, `${expected.case} ${queryId} ${measure.name} missing from expected.json`).toBeTypeOf('number');
      expect(ours[measure.name], `${expected.case} query ${queryId} ${trecEvalName(measure)}`).toBe(reference);
      compared++;
    }
  }
  expect(compared).toBe(expected.num_queries_evaluated * DEFAULT_MEASURES.length);
  // same keys, same order, same bits
  expect(Object.keys(evaluation.aggregate)).toEqual(Object.keys(expected.aggregate_full_precision));
  for (const [name, value] of Object.entries(expected.aggregate_full_precision)) {
    expect(evaluation.aggregate[name], `${expected.case} aggregate ${name}`).toBe(value);
    expect(pythonRound(evaluation.aggregate[name]!, 5), `${expected.case} rounded ${name}`).toBe(expected.aggregate_bright_rounded[name]);
  }
  const pythonResults = path.join(dir, 'bright_results.json');
  if (existsSync(pythonResults)) expect(formatBrightResults(evaluation, DEFAULT_MEASURES)).toBe(readFileSync(pythonResults, 'utf8'));
}

describe('trec_eval 9.0.8 golden cases', () => {
  const dirs = caseDirs(committed);
  it('has the copied cases', () => expect(dirs.length).toBe(12));
  for (const dir of dirs) it(path.basename(dir), () => checkCase(dir));
});

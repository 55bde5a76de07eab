import type { Qrels } from '../core/types.js';
import type { Measure } from './measure.js';
import { queryMeasures } from './query-measures.js';
import type { Ranking, ScorableRun } from './ranking.js';

export interface Evaluation {
  /** Mean per measure over `queryOrder`, summed in that order as BRIGHT does (full precision). */
  aggregate: Record<string, number>;
  perQuery: Map<string, Record<string, number>>;
  /** Evaluated queries: run order (first appearance), then, with `allQueries`, qrels queries missing from the run. */
  queryOrder: string[];
}

export interface EvaluateOptions {
  /** trec_eval -c: qrels queries missing from the run count as 0 instead of being left out of the mean. */
  allQueries?: boolean;
}

/**
 * pytrec_eval's `RelevanceEvaluator(qrels, measures).evaluate(run)` followed by BRIGHT's averaging: only queries in
 * both run and qrels are evaluated (a run query without judgments is skipped, as is a judged query without a run,
 * unless `allQueries`), and the mean is the sum in run order divided by the count. With no query evaluated the
 * aggregate values are 0 (BRIGHT would divide by zero).
 */
export function evaluate(run: ScorableRun, qrels: Qrels, measures: readonly Measure[], options: EvaluateOptions = {}): Evaluation {
  const evaluator = new RunEvaluator(qrels, measures);
  for (const [queryId, docs] of run) evaluator.add(queryId, docs);
  return evaluator.finish(options);
}

/**
 * `evaluate` a query at a time, as a run's lists come (a search hands them over while other threads rank the next
 * ones, so each query is scored while this thread would wait): `add` the lists in run order (a query added again
 * replaces its values, in its first place, as a Map entry set again does), then `finish` gives `evaluate` of that run.
 */
export class RunEvaluator {
  private readonly perQuery = new Map<string, Record<string, number>>();

  constructor(
    private readonly qrels: Qrels,
    private readonly measures: readonly Measure[],
  ) {}

  add(queryId: string, docs: Ranking): void {
    const judgments = this.qrels.get(queryId);
    if (judgments) this.perQuery.set(queryId, queryMeasures(docs, judgments, this.measures));
  }

  finish(options: EvaluateOptions = {}): Evaluation {
    const { perQuery, measures } = this;
    if (options.allQueries) {
      const empty = Object.fromEntries(measures.map((measure) => [measure.name, 0]));
      for (const queryId of this.qrels.keys()) if (!perQuery.has(queryId)) perQuery.set(queryId, { ...empty });
    }
    const queryOrder = [...perQuery.keys()];
    const aggregate: Record<string, number> = {};
    for (const measure of measures) {
      let sum = 0.0;
      for (const values of perQuery.values()) sum += values[measure.name]!;
      aggregate[measure.name] = queryOrder.length > 0 ? sum / queryOrder.length : 0;
    }
    return { aggregate, perQuery, queryOrder };
  }
}

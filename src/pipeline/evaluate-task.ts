import type { Qrels, Retriever, Run } from '../core/types.js';
import { throwIfAborted } from '../core/errors.js';
import { startProgress, type Progress } from '../core/progress.js';
import { loadTask, type LoadedTask, type LoadTaskOptions } from '../dataset/load-task.js';
import { buildRankedList, qrelsFromQueries } from '../eval/build-run.js';
import { evaluate, type Evaluation } from '../eval/evaluate.js';
import type { Measure } from '../eval/measure.js';

export interface TaskEvaluation {
  loaded: LoadedTask;
  run: Run;
  /** The judgments scored against (gold_ids, or gold_ids_long with --long), as eval writes them to qrels.txt. */
  qrels: Qrels;
  evaluation: Evaluation;
  timings: { load_s: number; retrieve_s: number; score_s: number };
}

export interface EvaluateTaskOptions extends LoadTaskOptions {
  retriever: Retriever;
  depth: number | 'all';
  measures: readonly Measure[];
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** One task end to end, the BRIGHT way: load, retrieve, drop exclusions and cut, then score. */
export async function evaluateTask(options: EvaluateTaskOptions): Promise<TaskEvaluation> {
  const { retriever, depth, measures, signal } = options;
  let started = performance.now();
  const loaded = await loadTask(options);
  const load_s = seconds(started);

  started = performance.now();
  const excludedByQuery = new Map(loaded.queries.map((query) => [query.id, query.excludedIds]));
  const run: Run = new Map();
  // started at the first result: the retriever's own stages (analysis, encoding) show their bars before that
  let progress: Progress | undefined;
  try {
    const candidatesStream = retriever.retrieve({
      task: loaded.task.name,
      corpus: loaded.corpus,
      corpusSha256: loaded.corpusSha256,
      queries: loaded.queries,
      depth: depth === 'all' ? loaded.corpus.ids.length : depth,
      signal,
    });
    for await (const candidates of candidatesStream) {
      throwIfAborted(signal);
      const excluded = excludedByQuery.get(candidates.queryId) ?? [];
      run.set(candidates.queryId, buildRankedList(candidates, loaded.corpus.ids, excluded, depth));
      progress ??= startProgress(`retrieve ${loaded.task.name} queries (${retriever.name})`, loaded.queries.length);
      progress.increment();
    }
  } finally {
    progress?.stop();
  }
  const retrieve_s = seconds(started);

  started = performance.now();
  const qrels = qrelsFromQueries(loaded.queries, options.long ?? false);
  const evaluation = evaluate(run, qrels, measures);
  const score_s = seconds(started);
  return { loaded, run, qrels, evaluation, timings: { load_s, retrieve_s, score_s } };
}

import type { Qrels, Retriever } from '../core/types.js';
import { throwIfAborted } from '../core/errors.js';
import type { Progress, StartProgress } from '../core/progress.js';
import { loadTask, type LoadedTask, type LoadTaskOptions } from '../dataset/load-task.js';
import { buildRankedList, qrelsFromQueries } from '../eval/build-run.js';
import { RunEvaluator, type Evaluation } from '../eval/evaluate.js';
import type { Measure } from '../eval/measure.js';
import type { Run } from '../eval/ranked-list.js';
import { taskContext } from './task-context.js';
import { nowMs } from '../core/clock.js';

export interface TaskEvaluation {
  loaded: LoadedTask;
  run: Run;
  /** The judgments scored against (gold_ids, or gold_ids_long with --long), as eval writes them to qrels.txt. */
  qrels: Qrels;
  evaluation: Evaluation;
  timings: { load_s: number; index_s: number; search_s: number; score_s: number };
}

export interface EvaluateTaskOptions extends LoadTaskOptions {
  retriever: Retriever;
  depth: number | 'all';
  measures: readonly Measure[];
  /** Progress bars for the stages (default: none). */
  progress?: StartProgress;
  /**
   * Takes what the retriever left running once the task is scored (its `settled()`: BM25's cache file, the search's
   * threads stopping, ~10-20 ms each) instead of evaluateTask awaiting it, for a caller that writes the task's files
   * meanwhile and awaits it before it ends (as `settled` asks). Without it, evaluateTask awaits it before it returns.
   */
  settling?: (settled: Promise<void>) => void;
}

const seconds = (since: number) => (nowMs() - since) / 1000;

/**
 * One task end to end, the BRIGHT way: load, index (from the cache when it holds this corpus), search, drop
 * exclusions and cut, then score.
 */
export async function evaluateTask(options: EvaluateTaskOptions): Promise<TaskEvaluation> {
  const { retriever, depth, measures, signal } = options;
  let started = nowMs();
  const loaded = await loadTask({
    ...options,
    onCorpusFile: (corpus) => {
      retriever.prefetch?.(corpus);
      options.onCorpusFile?.(corpus);
    },
  });
  const context = taskContext(loaded, { long: options.long ?? false, signal, progress: options.progress });
  const load_s = seconds(started);

  started = nowMs();
  retriever.prepareSearch?.(loaded.queries);
  const index = await retriever.index(loaded.corpus, context);
  const index_s = seconds(started);

  // what the index stage left running (the cache write) goes on through the search and the scoring
  try {
    started = nowMs();
    const excludedByQuery = new Map(loaded.queries.map((query) => [query.id, query.excludedIds]));
    const run: Run = new Map();
    const qrels = qrelsFromQueries(loaded.queries, options.long ?? false);
    // each list is scored as it comes, while other threads rank the next queries (search_s holds that part)
    const evaluator = new RunEvaluator(qrels, measures);
    // started at the first result: the search stage's own bars (query encoding) come before it
    let progress: Progress | undefined;
    try {
      const ids = loaded.corpus.ids;
      const candidatesStream = retriever.search(index, loaded.queries, depth === 'all' ? ids.length : depth, context);
      for await (const candidates of candidatesStream) {
        throwIfAborted(signal);
        const excluded = excludedByQuery.get(candidates.queryId) ?? [];
        const list = buildRankedList(candidates, ids, excluded, depth);
        run.set(candidates.queryId, list);
        evaluator.add(candidates.queryId, list);
        progress ??= context.progress(`retrieve ${loaded.task.name} queries (${retriever.name})`, loaded.queries.length);
        progress.increment();
      }
    } finally {
      progress?.stop();
    }
    const search_s = seconds(started);

    started = nowMs();
    const evaluation = evaluator.finish();
    const score_s = seconds(started);
    return { loaded, run, qrels, evaluation, timings: { load_s, index_s, search_s, score_s } };
  } finally {
    const settled = retriever.settled?.() ?? Promise.resolve();
    if (options.settling !== undefined) options.settling(settled);
    else await settled;
  }
}

import { promises as fs } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { log } from '../core/log.js';
import { packageVersion } from '../core/version.js';
import { DEFAULT_DATASET, type QueryVariant, type TaskInfo } from '../dataset/registry.js';
import { DEFAULT_MEASURES, makeMeasure, parseMeasure, type Measure } from '../eval/measure.js';
import { queriesFilePath } from '../dataset/queries-file.js';
import type { RunSummary } from '../report/results-dir.js';
import { createRetriever, type RetrieverChoice } from './create-retriever.js';
import { evaluateTask } from './evaluate-task.js';
import { reasonirCacheDir } from '../core/cache-dir.js';
import { checkWritableDirectory } from '../core/directories.js';
import { chooseOutputDir, writeSummary, writeTaskResults, type EvalSetting } from './results-dir.js';

export interface EvaluationRequest {
  tasks: TaskInfo[];
  retriever: RetrieverChoice;
  queries: QueryVariant;
  /** Query texts from `reasonir reason` files instead (`{task}` in the path is the task); `queries` must be original. */
  queriesFile?: { template: string; label: string };
  long: boolean;
  revision: string;
  /** Dataset repository (`--dataset`); default xlangai/BRIGHT. */
  repo?: string;
  dataDir?: string;
  depth: number | 'all';
  /** Measures beyond BRIGHT's 25 and Recall@1000, keyed in metrics.json and summary.json by the names asked for. */
  extraMeasures?: readonly Measure[];
  out?: string;
  argv: string[];
  signal: AbortSignal;
  /** Told when each task starts and ends, for the terminal; the pipeline itself prints no per-task lines. */
  observer?: EvaluationObserver;
  /** `--compare-as NAME`: set this run against NAME's published rows although its weights are not NAME's checkpoint. */
  compareAs?: string;
}

export interface EvaluationObserver {
  taskStarted?(task: string, index: number, count: number): void;
  taskFinished?(task: string, index: number, count: number, seconds: number, summary: RunSummary): void | Promise<void>;
}

export interface EvaluationOutcome {
  outDir: string;
  summary: RunSummary;
  /** Tasks whose corpus still waits for other `--shard` runs. */
  pending: string[];
}

/**
 * What eval scores: BRIGHT's 25 (results.json), Recall@1000 (pyserini's and Anserini's published column), then the
 * measures asked for under their own names, even where one is a default under another spelling.
 */
export function evalMeasures(extra: readonly Measure[] = []): Measure[] {
  const measures = [...DEFAULT_MEASURES, makeMeasure('Recall', 1000)];
  for (const measure of extra) if (!measures.some((m) => m.name === measure.name)) measures.push(measure);
  return measures;
}

/**
 * `reasonir eval` without the command line: every task end to end into one results folder, summary.json rewritten
 * after each finished task so an interrupted run keeps what it completed.
 */
export async function runEvaluation(request: EvaluationRequest): Promise<EvaluationOutcome> {
  const { tasks, queries, long, depth, signal } = request;
  const headline = parseMeasure(long ? 'Recall@1' : 'NDCG@10');
  const measures = evalMeasures(request.extraMeasures);
  // model and device problems surface before anything is written
  const shared = request.retriever.kind === 'embeddings' ? undefined : await createRetriever(request.retriever, tasks[0]!.name);
  const baseSetting = {
    retriever: request.retriever.kind,
    // BRIGHT's model key (`reasonir` for an export whose reasonir.json extends it) picks the published row
    model: typeof shared?.parameters.family === 'string' ? shared.parameters.family : null,
    // a queries file's label (`reason-<model>`) names the run like a variant does
    queries: request.queriesFile?.label ?? queries,
    long,
    depth,
    argv: request.argv,
  };
  const outDir = await chooseOutputDir(request.out, baseSetting);
  // BM25 indexes and embeddings are written there after the expensive part: find out now if that cannot work
  if (request.retriever.kind !== 'embeddings') await checkWritableDirectory(reasonirCacheDir(), 'the cache folder (REASONIR_CACHE)');
  const summary: RunSummary = {
    reasonir_version: packageVersion(),
    retriever: baseSetting.retriever,
    model: baseSetting.model,
    queries: baseSetting.queries,
    long,
    dataset: { repo: request.repo ?? DEFAULT_DATASET.repo, revision: request.dataDir ? 'local' : request.revision },
    top_k: depth,
    requested_tasks: tasks.map((task) => task.name),
    completed_tasks: [],
    interrupted: false,
    ...(request.compareAs !== undefined ? { compare_as: request.compareAs } : {}),
    created: new Date().toISOString(),
    headline: headline.name,
    tasks: {},
  };
  const pending: string[] = [];
  try {
    for (const [index, task] of tasks.entries()) {
      const started = performance.now();
      request.observer?.taskStarted?.(task.name, index, tasks.length);
      const retriever = shared ?? (await createRetriever(request.retriever, task.name));
      let result;
      try {
        result = await evaluateTask({
          task: task.name,
          queries,
          ...(request.queriesFile ? { queriesFile: queriesFilePath(request.queriesFile.template, task.name) } : {}),
          long,
          revision: request.revision,
          ...(request.repo !== undefined ? { repo: request.repo } : {}),
          dataDir: request.dataDir,
          signal,
          retriever,
          depth,
          measures,
        });
      } catch (error) {
        // this shard's slice is cached; the run that completes the last shard scores the task
        if (!(error instanceof HarnessError && error.code === 'shard.pending')) throw error;
        log.info(`${task.name}: ${error.message}`);
        pending.push(task.name);
        continue;
      }
      const embeddings = retriever.embeddingKeys?.(task.name);
      const setting: EvalSetting = { ...baseSetting, retrieverParameters: { ...retriever.parameters, ...(embeddings ? { embeddings } : {}) } };
      await writeTaskResults(outDir, result, setting, measures);
      summary.dataset.revision = result.loaded.revision;
      summary.tasks[task.name] = { num_queries: result.evaluation.queryOrder.length, aggregate: result.evaluation.aggregate };
      summary.completed_tasks!.push(task.name);
      await writeSummary(outDir, summary);
      await request.observer?.taskFinished?.(task.name, index, tasks.length, (performance.now() - started) / 1000, summary);
    }
  } catch (error) {
    // a folder with finished tasks says it is incomplete; rmdir removes an empty one and refuses the rest
    if (summary.completed_tasks!.length > 0 && signal.aborted) {
      summary.interrupted = true;
      await writeSummary(outDir, summary);
    }
    await fs.rmdir(outDir).catch(() => undefined);
    throw error;
  }
  return { outDir, summary, pending };
}

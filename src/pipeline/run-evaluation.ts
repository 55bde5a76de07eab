import { promises as fs } from 'node:fs';
import type { StartProgress } from '../core/progress.js';
import type { Retriever } from '../core/types.js';
import { usageError } from '../core/errors.js';
import { runtimeVersions } from '../core/provenance.js';
import { packageVersion } from '../core/version.js';
import { DEFAULT_DATASET, type QueryVariant, type TaskInfo } from '../dataset/registry.js';
import { DEFAULT_MEASURES, makeMeasure, parseMeasure, type Measure } from '../eval/measure.js';
import { queriesFilePath } from '../dataset/queries-file.js';
import { reasonirCacheDir } from '../core/cache-dir.js';
import { checkWritableDirectory } from '../core/directories.js';
import { hostManifest, openResultsFolder, writeSummary, writeTaskResults, type EvalSetting, type RunSummary } from '../results/results-folder.js';
import { createRetriever, type RetrieverChoice } from './create-retriever.js';
import { evaluateTask } from './evaluate-task.js';
import { compileRunLinesAhead } from '../eval/run-lines.js';
import { nowMs } from '../core/clock.js';

export interface EvaluationRequest {
  tasks: TaskInfo[];
  retriever: RetrieverChoice;
  /**
   * The retriever of that choice, created already (and started on the first task's corpus: startOnFirstCorpus), used
   * for every task; not for `embeddings`, whose retriever is each task's own.
   */
  started?: Retriever;
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
  /** Progress bars for the stages (the CLI passes startProgress; default none). */
  progress?: StartProgress;
  /** Told when each task starts and ends, for the terminal; the pipeline itself prints no per-task lines. */
  observer?: EvaluationObserver;
  /** `--compare-as NAME`: set this run against NAME's published rows although its weights are not NAME's checkpoint. */
  compareAs?: string;
  /**
   * `--resume`: `out` must hold an earlier run of exactly this setting; its finished tasks are kept, not run again
   * (a plain rerun into the same folder rescores them).
   */
  resume?: boolean;
}

export interface EvaluationObserver {
  taskStarted?(task: string, index: number, count: number): void;
  taskFinished?(task: string, index: number, count: number, seconds: number, summary: RunSummary): void | Promise<void>;
}

export interface EvaluationOutcome {
  outDir: string;
  summary: RunSummary;
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
 * Why a folder cannot take this request's results (resumed or rerun): every way its recorded setting differs
 * (retriever, model, query variant and documents are checked when the folder is opened; the dataset revision as
 * each task loads).
 */
function resumeDifferences(previous: RunSummary, now: RunSummary, measures: readonly Measure[]): string[] {
  const differences: string[] = [];
  const compare = (what: string, before: unknown, after: unknown) => {
    if (JSON.stringify(before ?? null) !== JSON.stringify(after ?? null)) differences.push(`${what}: the folder has ${JSON.stringify(before ?? null)}, this run ${JSON.stringify(after ?? null)}`);
  };
  compare('top_k', previous.top_k, now.top_k);
  compare('dataset', previous.dataset?.repo, now.dataset.repo);
  compare('--compare-as', previous.compare_as, now.compare_as);
  const finished = Object.values(previous.tasks)[0];
  if (finished) compare('measures', Object.keys(finished.aggregate).sort(), measures.map((measure) => measure.name).sort());
  return differences;
}

/**
 * `reasonir eval` without the command line, and the gather step of a sharded run: every task end to end into one
 * results folder (index slices that `reasonir encode` cached are used, missing ones built here), summary.json
 * rewritten after each finished task so an interrupted run keeps what it completed. Rerunning into the same folder
 * rescores and replaces its tasks, converging to the same files.
 */
export async function runEvaluation(request: EvaluationRequest): Promise<EvaluationOutcome> {
  const { tasks, queries, long, depth, signal } = request;
  const headline = parseMeasure(long ? 'Recall@1' : 'NDCG@10');
  const measures = evalMeasures(request.extraMeasures);
  // model and device problems surface before anything is written
  const shared = request.retriever.kind === 'embeddings' ? undefined : (request.started ?? (await createRetriever(request.retriever, tasks[0]!.name, signal)));
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
  const folder = await openResultsFolder(request.out, baseSetting);
  const outDir = folder.dir;
  // BM25 indexes and embeddings are written there after the expensive part: find out now if that cannot work
  if (request.retriever.kind !== 'embeddings') await checkWritableDirectory(reasonirCacheDir(), 'the cache folder (REASONIR_CACHE)').catch(async (error: unknown) => {
    await folder.close();
    await fs.rmdir(outDir).catch(() => undefined);
    throw error;
  });
  const summary: RunSummary = {
    reasonir_version: packageVersion(),
    retriever: baseSetting.retriever,
    model: baseSetting.model,
    queries: baseSetting.queries,
    long,
    dataset: { repo: request.repo ?? DEFAULT_DATASET.repo, revision: request.dataDir ? 'local' : request.revision },
    top_k: depth,
    // a rerun into the same folder keeps what the folder already holds and adds this run's tasks
    requested_tasks: [...new Set([...(folder.previous?.requested_tasks ?? []), ...tasks.map((task) => task.name)])],
    completed_tasks: [...(folder.previous?.completed_tasks ?? Object.keys(folder.previous?.tasks ?? {}))],
    interrupted: false,
    ...(request.compareAs !== undefined ? { compare_as: request.compareAs } : {}),
    created: folder.previous?.created ?? new Date().toISOString(),
    headline: headline.name,
    tasks: { ...folder.previous?.tasks },
  };
  // one folder holds one setting: a rerun into it (with or without --resume) must not mix top_k, dataset or measures
  const differences = folder.previous ? resumeDifferences(folder.previous, summary, measures) : request.resume ? [`${outDir} holds no results to continue`] : [];
  if (differences.length > 0) {
    await folder.close();
    await fs.rmdir(outDir).catch(() => undefined);
    const what = request.resume ? `--resume ${outDir}: cannot continue it` : `--out ${outDir} holds results of another setting`;
    const remedy = request.resume
      ? "give the options of the run that wrote it (each task's manifest.json has its argv)"
      : 'choose a new directory for this run, or give the options of the run that wrote it';
    throw usageError(request.resume ? 'resume_setting' : 'output_exists', `${what}:\n  ${differences.join('\n  ')}\n${remedy}`);
  }
  // what the last task's retriever left running (BM25's cache write, its search threads stopping), awaited once the
  // task's files are written, or the run fails: the writes go on meanwhile (settled never rejects)
  let settling: Promise<void> = Promise.resolve();
  try {
    for (const [index, task] of tasks.entries()) {
      if (request.resume && task.name in summary.tasks) continue;
      const started = nowMs();
      request.observer?.taskStarted?.(task.name, index, tasks.length);
      void compileRunLinesAhead();
      const retriever = shared ?? (await createRetriever(request.retriever, task.name, signal));
      const result = await evaluateTask({
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
        progress: request.progress,
        settling: (settled) => (settling = settled),
        // the manifest's git state and host are asked for once the retriever has started on the corpus (BM25's
        // analysis workers, or its cache read): reading a clean checkout's index is ~20 ms of this thread, a dirty one
        // forks git, and both then overlap the work; a failure surfaces where the manifest awaits it
        onCorpusFile: () =>
          setImmediate(() => {
            runtimeVersions().catch(() => undefined);
            hostManifest();
          }),
      });
      if (request.resume && Object.keys(summary.tasks).length > 0 && result.loaded.revision !== summary.dataset.revision) {
        throw usageError('resume_setting', `--resume ${outDir}: ${task.name} loads dataset revision ${result.loaded.revision}, the folder's tasks used ${summary.dataset.revision}; pass the same --revision or --data-dir`);
      }
      const embeddings = retriever.embeddingKeys?.(task.name);
      const setting: EvalSetting = { ...baseSetting, retrieverParameters: { ...retriever.parameters, ...(embeddings ? { embeddings } : {}) } };
      await writeTaskResults(outDir, result, setting, measures);
      summary.dataset.revision = result.loaded.revision;
      summary.tasks[task.name] = { num_queries: result.evaluation.queryOrder.length, aggregate: result.evaluation.aggregate };
      if (!summary.completed_tasks!.includes(task.name)) summary.completed_tasks!.push(task.name);
      await writeSummary(outDir, summary);
      await settling;
      await request.observer?.taskFinished?.(task.name, index, tasks.length, (nowMs() - started) / 1000, summary);
    }
    // the interrupted mark goes even when nothing was left to run
    if (request.resume) await writeSummary(outDir, summary);
  } catch (error) {
    await settling;
    // a folder with finished tasks says it is incomplete; rmdir removes an empty one and refuses the rest
    if (summary.completed_tasks!.length > 0 && signal.aborted) {
      summary.interrupted = true;
      await writeSummary(outDir, summary);
    }
    await folder.close();
    await fs.rmdir(outDir).catch(() => undefined);
    throw error;
  }
  await folder.close();
  return { outDir, summary };
}

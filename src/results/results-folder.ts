/**
 * The results folder `reasonir eval --out DIR` writes and table/check/compare/report read: its types, its writer
 * and its reader, in one place. Layout:
 *   DIR/summary.json          RunSummary: the setting and each finished task's aggregate measures
 *   DIR/<task>/run.trec       the run, TREC format
 *   DIR/<task>/score.json     BRIGHT's score file
 *   DIR/<task>/results.json   BRIGHT's rounded means; metrics.json and per_query.tsv at full precision
 *   DIR/<task>/manifest.json  TaskManifest: data, setting, retriever, versions, host, timings
 *   DIR/.reasonir.lock        present while a run writes into DIR (see out-lock.ts)
 * A task folder appears by rename once complete; rerunning a task replaces its folder the same way.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { runtimeVersions, type RuntimeVersions } from '../core/provenance.js';
import { checkWritableDirectory, makeDirectory } from '../core/directories.js';
import { dataError, usageError } from '../core/errors.js';
import { classifyOsError } from '../core/os-errors.js';
import type { Qrels } from '../core/types.js';
import type { LoadedTask } from '../dataset/load-task.js';
import type { Evaluation } from '../eval/evaluate.js';
import { DEFAULT_MEASURES, measureKey, type Measure } from '../eval/measure.js';
import { writeEvaluationFiles } from '../eval/results-files.js';
import { writeTrecQrels } from '../eval/trec-qrels.js';
import type { Run } from '../eval/ranked-list.js';
import { writeRunOutputs } from '../eval/run-outputs.js';
import { brightScoreFile, brightTaskMetrics, readBrightOutputs } from '../report/bright-outputs-dir.js';
import { acquireOutLock, isLockFile } from './out-lock.js';
import { nowMs } from '../core/clock.js';

/** `<out>/summary.json` as `reasonir eval` writes it. */
export interface RunSummary {
  reasonir_version: string;
  retriever: string;
  model: string | null;
  queries: string;
  long: boolean;
  dataset: { repo: string; revision: string };
  /** Documents kept per query (`eval --top-k`); absent in runs written before it was recorded. */
  top_k?: number | 'all';
  /** The tasks `eval` was asked for, in order, and those finished so far (absent in older runs). */
  requested_tasks?: string[];
  completed_tasks?: string[];
  /** True when the run stopped early (Ctrl-C); `eval --resume DIR` would finish it. */
  interrupted?: boolean;
  /**
   * `eval --compare-as NAME`: the model whose published rows this run is set against although its weights are not
   * that model's registered checkpoint (a local export labelled `folder@sha`). Tables say so.
   */
  compare_as?: string;
  created: string;
  /** The measure the papers report for this setting: NDCG@10, or Recall@1 for long documents. */
  headline: string;
  tasks: Record<string, { num_queries: number; aggregate: Record<string, number> }>;
  /** Present when `reasonir rerank` wrote the folder: the reranker and which of its runs this is. */
  reranker?: RerankSummary;
  /** Present when the setting was read from names rather than recorded (BRIGHT's outputs/ folders): how. */
  inferred?: string;
  /** Present when `reasonir fuse` wrote the folder: the method and the folders fused. */
  fusion?: { method: string; inputs: Array<{ dir: string; label: string }>; [parameter: string]: unknown };
}

export interface RerankSummary {
  /** The model name as the server knows it (`Qwen/Qwen2.5-32B-Instruct`). */
  model: string;
  /** `qwen-rerank` (ReasonIR's pointwise prompts) or `bright-listwise` (BRIGHT's rerank.py). */
  family: string;
  /** `interpolated` (0.5 reranker + 0.5 retriever), `reranker-only`, or `bm25-interpolated` (100 reranker + BM25). */
  run: 'interpolated' | 'reranker-only' | 'bm25-interpolated';
  top_k: number;
  /** The results folder that was reranked. */
  input: string;
}

/** A results directory: where it is, what to call it in tables, and its summary. */
export interface ResultsDir {
  dir: string;
  label: string;
  summary: RunSummary;
}

/** `<out>/<task>/metrics.json`. */
export interface TaskMetrics {
  aggregate: Record<string, number>;
  per_query: Record<string, Record<string, number>>;
}

/** `<out>/<task>/manifest.json`. */
export interface TaskManifest {
  task: string;
  dataset: { repo: string; revision: string; files: Array<{ config: string; path: string; sha256: string; size: number }> };
  queries: string;
  /** `eval --queries FILE`: the file's path, sha256 and provenance. */
  queries_file?: LoadedTask['queriesFile'];
  long: boolean;
  top_k: number | 'all';
  num_queries: number;
  num_documents: number;
  retriever: { name: string; model: string | null; parameters: Record<string, unknown> };
  data_warnings: string[];
  versions: RuntimeVersions;
  host: { hostname: string; platform: string; cpus: number; memory_bytes: number };
  timings_s: Record<string, number>;
  argv: string[];
  created: string;
}

/** The setting a results folder holds; one folder holds one setting. */
export interface EvalSetting {
  retriever: string;
  model: string | null;
  /** A dataset variant, or a queries file's label. */
  queries: string;
  long: boolean;
  depth: number | 'all';
  argv: string[];
  retrieverParameters: Record<string, unknown>;
}

/** One scored task of `reasonir eval`, as the writer needs it. */
export interface TaskResult {
  loaded: Pick<LoadedTask, 'task' | 'repo' | 'revision' | 'files' | 'queries' | 'warnings' | 'queriesFile'> & { corpus: { ids: { readonly length: number } } };
  run: Run;
  qrels?: Qrels;
  evaluation: Evaluation;
  timings: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------------------------
// writer

/** A results folder this process writes into, locked against other writers until `close`. */
export interface ResultsFolder {
  dir: string;
  /** The summary already in the folder (a rerun of the same setting), or null for a new folder. */
  previous: RunSummary | null;
  close(): Promise<void>;
}

const isStaging = (name: string) => /^\.[^/]+\.(partial|replaced)-\d+$/.test(name);

/**
 * Opens the output folder. An explicit --out may be new, empty, or hold an earlier run of the same setting (a rerun
 * after an interruption or a requeue: its tasks are rescored and replaced); any other content is refused. The
 * default name carries retriever, query variant and date and gets a numeric suffix rather than reuse a folder.
 * Another process writing into the same folder makes this one stop with exit 2 (see out-lock.ts).
 */
export async function openResultsFolder(
  explicit: string | undefined,
  setting: Pick<EvalSetting, 'retriever' | 'model' | 'queries' | 'long'>,
  now = new Date(),
): Promise<ResultsFolder> {
  const dir = explicit ?? (await createDefaultFolder([setting.model ?? setting.retriever, setting.queries, setting.long ? 'long' : null], now));
  // before any work (and it makes the folder): a run must not compute for hours and then find it cannot write
  await checkWritableDirectory(dir, 'the output folder (--out)');
  const lock = await acquireOutLock(dir);
  try {
    const previous = await inspectExisting(dir, setting);
    return { dir, previous, close: () => lock.release() };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** `results/<stem>-<date>`, or with `-2`, `-3`... rather than reuse an existing folder. */
async function createDefaultFolder(stem: Array<string | null>, now: Date): Promise<string> {
  const name = [...stem, now.toISOString().slice(0, 10)].filter(Boolean).join('-').replace(/[^\w.+-]+/g, '_');
  const base = path.join('results', name);
  await checkWritableDirectory(path.dirname(base), 'the results folder');
  // bounded: a folder per attempt, and every failure other than "exists" ends the loop
  for (let attempt = 1; attempt <= 10_000; attempt++) {
    const candidate = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      await fs.mkdir(candidate);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw classifyOsError(error, 'cannot create the results folder') ?? error;
    }
  }
  throw usageError('output_exists', `${base} and 10,000 numbered variants already exist; pass --out`);
}

/** Clears what dead writers left (staging folders) and returns the folder's summary when it holds one. */
async function inspectExisting(dir: string, setting: Pick<EvalSetting, 'retriever' | 'model' | 'queries' | 'long'>): Promise<RunSummary | null> {
  const entries = (await fs.readdir(dir)).filter((name) => !isLockFile(name));
  // the lock is ours, so any staging folder belongs to a writer that is gone
  for (const name of entries.filter(isStaging)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  const content = entries.filter((name) => !isStaging(name));
  if (content.length === 0) return null;
  if (!content.includes('summary.json')) {
    throw usageError('output_exists', `--out ${dir} already contains files and is not a reasonir results folder; choose a new directory or remove it first`);
  }
  const previous = (await readOwnResultsDir(dir)).summary;
  const wanted = describeSetting({ ...setting, model: setting.model });
  const found = describeSetting(previous);
  if (previous.retriever !== setting.retriever || previous.model !== setting.model || previous.queries !== setting.queries || previous.long !== setting.long) {
    throw usageError('output_exists', `--out ${dir} holds results of another setting (${found}, not ${wanted}); choose a new directory for this run`);
  }
  return previous;
}

/**
 * The output folder of `rerank` and `fuse`: the default name gets a numeric suffix rather than reuse a folder; an
 * explicit --out that already holds files is refused.
 */
export async function chooseOutputDir(explicit: string | undefined, setting: { name: string }, now = new Date()): Promise<string> {
  if (explicit) {
    const existing = await fs.readdir(explicit).catch(() => [] as string[]);
    if (existing.length > 0) {
      throw usageError('output_exists', `--out ${explicit} already contains files; choose a new directory or remove it first`);
    }
    await checkWritableDirectory(explicit, 'the output folder (--out)');
    return explicit;
  }
  return createDefaultFolder([setting.name], now);
}

/**
 * Writes one task's files (run.trec, score.json, qrels.txt, results.json, metrics.json, per_query.tsv, manifest.json) into a
 * hidden staging folder and renames it into place only when complete, so an interrupted run never leaves a task
 * folder that looks finished.
 */
export async function writeTaskFolder(
  outDir: string,
  taskName: string,
  files: {
    run: Run;
    tag: string;
    /** The judgments scored against; with run.trec a complete trec_eval / ir_measures input (export rescored them). */
    qrels?: Qrels;
    evaluation: Evaluation;
    measures: readonly Measure[];
    manifest: (writeSeconds: number) => unknown;
  },
): Promise<void> {
  const started = nowMs();
  const staging = path.join(outDir, `.${taskName}.partial-${process.pid}`);
  await fs.rm(staging, { recursive: true, force: true });
  await makeDirectory(staging);
  try {
    // independent files written together, so each one's fsync overlaps the others' formatting and fsyncs; every
    // writer settles before the staging folder may be removed, and the first failure in this order is reported
    const writes = await Promise.allSettled([
      writeRunOutputs(staging, files.run, files.tag),
      files.qrels && writeTrecQrels(path.join(staging, 'qrels.txt'), files.qrels),
      // results.json stays BRIGHT's file (its 25 keys); metrics.json and per_query.tsv hold every measure
      writeEvaluationFiles(staging, files.evaluation, files.measures, files.measures.filter((m) => DEFAULT_MEASURES.some((d) => d.name === m.name))),
    ]);
    for (const write of writes) if (write.status === 'rejected') throw write.reason;
    const manifest = files.manifest((nowMs() - started) / 1000);
    await writeFileAtomic(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await replaceFolder(staging, path.join(outDir, taskName));
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Content, not local paths: the manifest must describe the data on any machine. */
export function datasetManifest(loaded: Pick<LoadedTask, 'repo' | 'revision' | 'files'>): TaskManifest['dataset'] {
  return {
    repo: loaded.repo,
    revision: loaded.revision,
    files: loaded.files.map(({ config, path: file, sha256, size }) => ({ config, path: file, sha256, size })),
  };
}

let host: TaskManifest['host'] | undefined;

/**
 * The machine, read once per process (os.cpus() parses /proc/cpuinfo and /proc/stat: ~5 ms), so that eval can read it
 * while it waits on other threads rather than at the end of a task.
 */
export function hostManifest(): TaskManifest['host'] {
  host ??= { hostname: os.hostname(), platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, memory_bytes: os.totalmem() };
  return { ...host };
}

/** One task of `reasonir eval`: its run, scores and manifest. */
export async function writeTaskResults(
  outDir: string,
  result: TaskResult,
  setting: EvalSetting,
  measures: readonly Measure[],
): Promise<void> {
  const versions = await runtimeVersions();
  await writeTaskFolder(outDir, result.loaded.task.name, {
    run: result.run,
    tag: `reasonir-${setting.model ?? setting.retriever}`,
    qrels: result.qrels,
    evaluation: result.evaluation,
    measures,
    manifest: (write_s): TaskManifest => ({
      task: result.loaded.task.name,
      dataset: datasetManifest(result.loaded),
      queries: setting.queries,
      ...(result.loaded.queriesFile ? { queries_file: result.loaded.queriesFile } : {}),
      long: setting.long,
      top_k: setting.depth,
      num_queries: result.loaded.queries.length,
      num_documents: result.loaded.corpus.ids.length,
      retriever: { name: setting.retriever, model: setting.model, parameters: setting.retrieverParameters },
      data_warnings: result.loaded.warnings,
      versions,
      host: hostManifest(),
      timings_s: { ...result.timings, write_s },
      argv: setting.argv,
      created: new Date().toISOString(),
    }),
  });
}

/** Renames `source` to `target`; an existing target (an earlier run of the task) is moved aside first, then removed. */
async function replaceFolder(source: string, target: string): Promise<void> {
  const aside = path.join(path.dirname(target), `.${path.basename(target)}.replaced-${process.pid}`);
  let replaced = false;
  try {
    await fs.rename(target, aside);
    replaced = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await fs.rename(source, target);
  if (replaced) await fs.rm(aside, { recursive: true, force: true });
}

/** `summary.json` (format: RunSummary), rewritten after each finished task. */
export async function writeSummary(outDir: string, summary: RunSummary): Promise<void> {
  await writeFileAtomic(path.join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// reader

async function readJson(filePath: string, what: string, hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw dataError(code === 'ENOENT' ? 'results_missing' : 'results_unreadable', `${filePath}: cannot read ${what} (${code ?? (error as Error).message}); ${hint}`, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw dataError('results_invalid', `${filePath}: ${what} is not valid JSON (${(error as Error).message}); ${hint}`, error);
  }
}

function validateSummary(value: unknown, where: string): RunSummary {
  const fail = (what: string) =>
    dataError('results_invalid', `${where}: ${what}; is this a directory written by \`reasonir eval --out\`?`);
  if (value === null || typeof value !== 'object') throw fail('summary is not a JSON object');
  const summary = value as Partial<RunSummary>;
  if (typeof summary.retriever !== 'string') throw fail('"retriever" is missing');
  if (typeof summary.queries !== 'string') throw fail('"queries" is missing');
  if (typeof summary.headline !== 'string') throw fail('"headline" is missing');
  if (!summary.tasks || typeof summary.tasks !== 'object') throw fail('"tasks" is missing');
  for (const [task, entry] of Object.entries(summary.tasks)) {
    if (!entry || typeof entry.aggregate !== 'object' || entry.aggregate === null) throw fail(`tasks.${task}.aggregate is missing`);
    for (const [measure, score] of Object.entries(entry.aggregate)) {
      if (typeof score !== 'number' || !Number.isFinite(score)) throw fail(`tasks.${task}.aggregate.${measure} is not a number`);
    }
  }
  return { ...summary, model: summary.model ?? null, long: summary.long === true } as RunSummary;
}

/** A short name for the run: `bm25`, `reasonir +gpt4`, `bm25 long`. */
export function describeSetting(summary: Pick<RunSummary, 'retriever' | 'model' | 'queries' | 'long' | 'reranker' | 'fusion' | 'compare_as'>): string {
  if (summary.fusion) return `${summary.fusion.method}(${summary.fusion.inputs.map((input) => input.label).join(', ')})`;
  // `--compare-as` stays visible wherever the run is named: `tiny-llama@1a2b3c4d5e6f as reasonir`
  const name = `${summary.model ?? summary.retriever}${summary.compare_as !== undefined ? ` as ${summary.compare_as}` : ''}`;
  const reranker = summary.reranker ? ` +rerank ${summary.reranker.model.split('/').pop()}${summary.reranker.run === 'reranker-only' ? ' only' : summary.reranker.run === 'bm25-interpolated' ? ' +bm25' : ''}` : '';
  return `${name}${summary.queries !== 'original' ? ` +${summary.queries}` : ''}${summary.long ? ' long' : ''}${reranker}`;
}

export async function readResultsDir(dir: string): Promise<ResultsDir> {
  const runs = await readResultsDirRuns(dir);
  if (runs.length > 1) {
    throw usageError('several_runs', `${dir} holds ${runs.length} runs (${runs.map((run) => run.label).join(', ')}); pass the {task}_{model}_long_{lc} folders of one of them`);
  }
  return runs[0]!;
}

/** A results folder, or each run of a BRIGHT/ReasonIR outputs/ folder (they keep several models side by side). */
async function readResultsDirRuns(dir: string): Promise<ResultsDir[]> {
  const summaryPath = path.join(dir, 'summary.json');
  const hasSummary = await fs.access(summaryPath).then(() => true, () => false);
  if (!hasSummary) {
    const bright = await readBrightOutputs(dir);
    if (bright) return bright;
  }
  return [await readOwnResultsDir(dir)];
}

async function readOwnResultsDir(dir: string): Promise<ResultsDir> {
  const summaryPath = path.join(dir, 'summary.json');
  const summary = validateSummary(
    await readJson(summaryPath, 'the run summary', 'pass a directory written by `reasonir eval --out DIR`'),
    summaryPath,
  );
  return { dir, label: describeSetting(summary), summary };
}

/** Reads several directories; runs whose labels collide get their directory name appended. */
export async function readResultsDirs(dirs: string[]): Promise<ResultsDir[]> {
  const results = (await Promise.all(dirs.map((dir) => readResultsDirRuns(dir)))).flat();
  const counts = new Map<string, number>();
  for (const result of results) counts.set(result.label, (counts.get(result.label) ?? 0) + 1);
  return results.map((result) =>
    (counts.get(result.label) ?? 0) > 1 ? { ...result, label: `${result.label} (${path.basename(path.resolve(result.dir))})` } : result,
  );
}

/** A task's run file: `<dir>/<task>/score.json`, or where a BRIGHT/ReasonIR outputs folder keeps it. */
export function taskScoreFile(results: ResultsDir, task: string): string {
  return brightScoreFile(results, task) ?? path.join(results.dir, task, 'score.json');
}

/**
 * The dataset revision to read a run's tasks at: the one it recorded, or the main branch for a BRIGHT outputs
 * folder (BRIGHT's and ReasonIR's scripts read main); undefined when it was evaluated from a local --data-dir.
 */
export function runRevision(results: ResultsDir): string | undefined {
  const revision = results.summary.dataset?.revision;
  if (revision === 'local') return undefined;
  return revision === undefined || revision === 'unknown' ? 'main' : revision;
}

export async function readTaskMetrics(results: ResultsDir, task: string): Promise<TaskMetrics> {
  const bright = await brightTaskMetrics(results, task);
  if (bright) return bright;
  const filePath = path.join(results.dir, task, 'metrics.json');
  const value = (await readJson(filePath, 'per-query metrics', 're-run `reasonir eval` for this task')) as Partial<TaskMetrics>;
  if (!value || typeof value.per_query !== 'object' || value.per_query === null) {
    throw dataError('results_invalid', `${filePath}: "per_query" is missing; re-run \`reasonir eval\` for this task`);
  }
  return { aggregate: value.aggregate ?? {}, per_query: value.per_query };
}

/** The task's manifest.json, or null when the run did not write one. */
export async function readTaskManifest(results: ResultsDir, task: string): Promise<unknown> {
  const filePath = path.join(results.dir, task, 'manifest.json');
  try {
    await fs.access(filePath);
  } catch {
    return null;
  }
  return readJson(filePath, 'the manifest', 're-run `reasonir eval` for this task');
}

/**
 * The measure's key as the run spells it (`nDCG@10`, `ndcg_cut_10` -> `NDCG@10`; `R@100` -> `Recall@100`), or null
 * when no task of any run has it. Any spelling of a measure finds it; text that names no known measure is matched
 * case-insensitively.
 */
export function resolveMeasureName(measure: string, available: Iterable<string>): string | null {
  const wanted = measureKey(measure) ?? measure.toLowerCase();
  for (const name of available) if ((measureKey(name) ?? name.toLowerCase()) === wanted) return name;
  return null;
}

export function measuresOf(results: ResultsDir): Set<string> {
  const names = new Set<string>();
  for (const entry of Object.values(results.summary.tasks)) for (const name of Object.keys(entry.aggregate)) names.add(name);
  return names;
}

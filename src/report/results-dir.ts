import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError, usageError } from '../core/errors.js';
import { brightTaskMetrics, readBrightOutputs } from './bright-outputs-dir.js';
import { measureKey } from '../eval/measure.js';

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
  /** `interpolated` (0.5 reranker + 0.5 retriever) or `reranker-only`. */
  run: 'interpolated' | 'reranker-only';
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
  const reranker = summary.reranker ? ` +rerank ${summary.reranker.model.split('/').pop()}${summary.reranker.run === 'reranker-only' ? ' only' : ''}` : '';
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

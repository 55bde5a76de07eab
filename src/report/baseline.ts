import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError, usageError } from '../core/errors.js';
import { packageRoot } from '../core/version.js';

/** The setting a row was measured in; `eval` uses it to pick the published row that matches a run. */
export interface BaselineSetting {
  retriever: string;
  /**
   * The model config name (`bge`, `grit`, `reasonir`...: configs/models, what summary.json records), null for BM25.
   * It is BRIGHT's `--model` key except `sfr`, which BRIGHT calls `sf`.
   */
  model: string | null;
  /** `original` or the reasoning-query LLM (`gpt4`, `llama3-70b`...). */
  queries: string;
  long: boolean;
  modelId?: string;
  reranker?: string;
  /** How many retrieved documents were reranked (leaderboard rows publish top-10 and top-100). */
  rerankDepth?: number;
}

export interface BaselineMeasure {
  /** task -> value, in the row's scale; tasks the source did not publish are absent. */
  tasks: Record<string, number>;
  /** The published average (or, for rows written from a results directory, the mean in task order); null: none. */
  avg: number | null;
}

/** One row of a baseline file (see configs/baselines/README.md). */
export interface BaselineRow {
  name: string;
  label: string;
  setting: BaselineSetting;
  /** The row `eval` shows by default for its setting (at most one per setting). */
  default: boolean;
  /** Values are measure x scale: 100 for the papers' tables, 1 for 0-1 values. */
  scale: number;
  /** Published precision (digits after the point, in the row's scale); null: full precision, compared exactly. */
  decimals: number | null;
  measures: Record<string, BaselineMeasure>;
  provenance: { source: string; firstParty?: boolean | string; note?: string; [key: string]: unknown };
}

export interface BaselineFile {
  format: 'reasonir-baseline/1';
  description?: string;
  rows: BaselineRow[];
  [key: string]: unknown;
}

export const BASELINE_FORMAT = 'reasonir-baseline/1';

export const publishedBaselinesDir = path.join(packageRoot, 'configs', 'baselines');

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Validates a parsed baseline file; `where` names it in error messages. */
export function parseBaselineFile(value: unknown, where: string): BaselineFile {
  const fail = (what: string) =>
    dataError('baseline_invalid', `${where}: ${what}; see configs/baselines/README.md for the baseline file format`);
  if (value === null || typeof value !== 'object') throw fail('not a JSON object');
  const file = value as Partial<BaselineFile>;
  if (file.format !== BASELINE_FORMAT) throw fail(`"format" must be "${BASELINE_FORMAT}" (found ${JSON.stringify(file.format)})`);
  if (!Array.isArray(file.rows) || file.rows.length === 0) throw fail('"rows" must be a non-empty array');
  file.rows.forEach((row: Partial<BaselineRow>, index) => {
    const at = `rows[${index}]`;
    if (typeof row.name !== 'string' || row.name === '') throw fail(`${at}.name must be a non-empty string`);
    if (typeof row.label !== 'string') throw fail(`${at} (${row.name}).label must be a string`);
    if (!isFiniteNumber(row.scale) || row.scale <= 0) throw fail(`${row.name}: "scale" must be a positive number`);
    if (row.decimals !== null && !(Number.isInteger(row.decimals) && (row.decimals as number) >= 0)) {
      throw fail(`${row.name}: "decimals" must be null or a non-negative integer`);
    }
    const setting = row.setting;
    if (!setting || typeof setting.retriever !== 'string' || typeof setting.queries !== 'string' || typeof setting.long !== 'boolean') {
      throw fail(`${row.name}: "setting" needs retriever, model, queries and long`);
    }
    if (!row.measures || typeof row.measures !== 'object' || Object.keys(row.measures).length === 0) {
      throw fail(`${row.name}: "measures" must name at least one measure`);
    }
    for (const [measure, entry] of Object.entries(row.measures)) {
      if (!entry || typeof entry.tasks !== 'object' || entry.tasks === null) throw fail(`${row.name}.${measure}: "tasks" must be an object`);
      for (const [task, score] of Object.entries(entry.tasks)) {
        if (!isFiniteNumber(score)) throw fail(`${row.name}.${measure}.${task} must be a number`);
      }
      if (entry.avg !== null && !isFiniteNumber(entry.avg)) throw fail(`${row.name}.${measure}.avg must be a number or null`);
    }
    if (!row.provenance || typeof row.provenance.source !== 'string') throw fail(`${row.name}: "provenance.source" is required`);
    if (typeof row.default !== 'boolean') throw fail(`${row.name}: "default" must be true or false`);
  });
  return file as BaselineFile;
}

export async function loadBaselineFile(filePath: string): Promise<BaselineFile> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    throw dataError('baseline_unreadable', `cannot read baseline file ${filePath}: ${(error as Error).message}`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw dataError('baseline_invalid', `${filePath} is not valid JSON: ${(error as Error).message}`, error);
  }
  return parseBaselineFile(parsed, filePath);
}

/**
 * Every row of configs/baselines/*.json, in file-name then row order; a file that cannot be read or parsed fails it,
 * the first such file in name order. The files are read together: each read is several trips to the thread pool,
 * and the eight one after the other were ~10-30 ms at the end of every eval.
 */
export async function loadPublishedBaselines(dir = publishedBaselinesDir): Promise<BaselineRow[]> {
  const files = (await fs.readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const loaded = await Promise.allSettled(files.map((name) => loadBaselineFile(path.join(dir, name))));
  const rows: BaselineRow[] = [];
  for (const file of loaded) {
    if (file.status === 'rejected') throw file.reason;
    rows.push(...file.value.rows);
  }
  return rows;
}

/** Looks up rows by name, in the order asked; an unknown name is a usage error listing close matches. */
export function selectBaselines(rows: BaselineRow[], names: string[]): BaselineRow[] {
  return names.map((name) => {
    const row = rows.find((candidate) => candidate.name === name);
    if (row) return row;
    const needle = name.toLowerCase();
    const similar = rows
      .filter((candidate) => candidate.name.includes(needle) || needle.includes(candidate.name))
      .map((r) => r.name)
      .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
    const hint = similar.length > 0 ? `did you mean ${similar.slice(0, 6).join(', ')}?` : 'see `reasonir table --list-baselines`';
    throw usageError('unknown_baseline', `unknown baseline "${name}": ${hint}`);
  });
}

/** The run-side description `defaultBaselineFor` matches against (summary.json's fields). */
export interface RunSetting {
  retriever: string;
  model: string | null;
  queries: string;
  long: boolean;
  /** A reranked run (summary.json's `reranker`): it matches only rows of the same reranker. */
  reranker?: { model: string; run: string };
  /** `eval --compare-as NAME`: published rows are looked up by NAME instead of the run's own model label. */
  compare_as?: string;
}

/** `Qwen/Qwen2.5-32B-Instruct` matches a row's `Qwen/Qwen2.5-32B-Instruct` or `Qwen2.5-32B-Instruct`. */
function sameReranker(rowReranker: string, runReranker: string): boolean {
  const short = (name: string) => name.toLowerCase().split('/').pop();
  return short(rowReranker) === short(runReranker);
}

function sameModel(row: BaselineSetting, model: string): boolean {
  const wanted = model.toLowerCase();
  const candidates = [row.model, row.modelId, row.modelId?.split('/').pop()].filter((name): name is string => Boolean(name));
  return candidates.some((name) => name.toLowerCase() === wanted);
}

/**
 * The published row to print beside a run: bm25 + original -> BRIGHT's BM25 row, bm25 + gpt4 -> BRIGHT's BM25
 * GPT-4 row, reasonir + gpt4 -> ReasonIR's 29.9 row, long -> the leaderboard's Recall@1 average, and so on.
 * A row with a reranker is the default only for an interpolated rerank of the same reranker (the published
 * reranked numbers interpolate with the retriever score); a reranker-only run has no default. Null when nothing
 * was published for the setting.
 */
export function defaultBaselineFor(run: RunSetting, rows: BaselineRow[]): BaselineRow | null {
  if (run.reranker && run.reranker.run !== 'interpolated') return null;
  return (
    rows.find((row) => {
      const setting = row.setting;
      if (!row.default) return false;
      if (run.reranker ? !setting.reranker || !sameReranker(setting.reranker, run.reranker.model) : setting.reranker) return false;
      if (setting.long !== run.long || setting.queries.toLowerCase() !== run.queries.toLowerCase()) return false;
      const model = run.compare_as ?? run.model;
      if (setting.model === null) return model === null && setting.retriever === run.retriever;
      return model !== null && sameModel(setting, model);
    }) ?? null
  );
}

/**
 * The published rows a `--baselines` option asks for: a comma list of names, `none`, or (when absent) the default
 * row of each run's setting, once each. `published`: loadPublishedBaselines() started earlier by the caller.
 */
export async function resolveBaselineOption(spec: string | undefined, runs: RunSetting[], published?: Promise<BaselineRow[]>): Promise<BaselineRow[]> {
  if (spec?.trim() === 'none') return [];
  const rows = await (published ?? loadPublishedBaselines());
  if (spec !== undefined) return selectBaselines(rows, spec.split(',').map((name) => name.trim()).filter((name) => name !== ''));
  const chosen: BaselineRow[] = [];
  for (const run of runs) {
    const row = defaultBaselineFor(run, rows);
    if (row && !chosen.includes(row)) chosen.push(row);
  }
  return chosen;
}

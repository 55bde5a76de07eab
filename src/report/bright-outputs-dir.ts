/**
 * BRIGHT's and ReasonIR's own output folders read as results folders, so `table`, `compare`, `check` and `report`
 * take them as they are: `outputs/{task}_{model}_long_{True|False}/` holding BRIGHT's `results.json` and a score
 * file (`score.json`, or ReasonIR's `{variant}_score.json` for reasoning queries). Nothing there records the
 * setting, so it is read from the names and the summary says so (`inferred`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError } from '../core/errors.js';
import { loadTask } from '../dataset/load-task.js';
import { DEFAULT_DATASET, listTasks, QUERY_VARIANTS } from '../dataset/registry.js';
import { qrelsFromQueries } from '../eval/build-run.js';
import { evaluate } from '../eval/evaluate.js';
import { DEFAULT_MEASURES } from '../eval/measure.js';
import { readRunFile } from '../eval/run-file.js';
import type { ResultsDir, RunSummary, TaskMetrics } from '../results/results-folder.js';

const FOLDER = /_long_(True|False)$/;

/** `{task}_{model}_long_{lc}` split by the known task names (both tasks and models may contain underscores). */
function parseFolderName(name: string): { task: string; model: string; long: boolean } | null {
  const long = FOLDER.exec(name);
  if (!long) return null;
  const stem = name.slice(0, -long[0].length);
  const task = listTasks()
    .map((info) => info.name)
    .filter((candidate) => stem.startsWith(`${candidate}_`))
    .sort((a, b) => b.length - a.length)[0];
  return task ? { task, model: stem.slice(task.length + 1), long: long[1] === 'True' } : null;
}

interface BrightTaskFolder {
  task: string;
  dir: string;
  scoreFile: string;
}

/** Where each task's files are, for the per-query scores that compare and report need. */
const taskFolders = new WeakMap<RunSummary, Map<string, BrightTaskFolder>>();

async function scoreFileOf(dir: string): Promise<{ file: string; queries: string } | null> {
  const names = await fs.readdir(dir);
  if (names.includes('score.json')) return { file: path.join(dir, 'score.json'), queries: 'original' };
  for (const variant of QUERY_VARIANTS) if (names.includes(`${variant}_score.json`)) return { file: path.join(dir, `${variant}_score.json`), queries: variant };
  return null;
}

/**
 * The runs in `dir` when it is a BRIGHT outputs folder (or one `{task}_{model}_long_{lc}` folder of one), one per
 * model and setting; null when it is not one.
 */
export async function readBrightOutputs(dir: string): Promise<ResultsDir[] | null> {
  const base = path.basename(path.resolve(dir));
  const candidates = parseFolderName(base)
    ? [{ name: base, dir }]
    : (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter((entry) => entry.isDirectory()).map((entry) => ({ name: entry.name, dir: path.join(dir, entry.name) }));
  const runs = new Map<string, { summary: RunSummary; folders: Map<string, BrightTaskFolder> }>();
  for (const candidate of candidates) {
    const parsed = parseFolderName(candidate.name);
    if (!parsed) continue;
    const score = await scoreFileOf(candidate.dir);
    const resultsPath = path.join(candidate.dir, 'results.json');
    const results = await fs.readFile(resultsPath, 'utf8').then((text) => JSON.parse(text) as Record<string, number>, () => null);
    if (!score || !results) continue;
    const key = `${parsed.model}\0${parsed.long}\0${score.queries}`;
    let run = runs.get(key);
    if (!run) {
      const summary: RunSummary = {
        reasonir_version: 'n/a',
        retriever: parsed.model === 'bm25' ? 'bm25' : 'dense',
        model: parsed.model === 'bm25' ? null : parsed.model,
        queries: score.queries,
        long: parsed.long,
        dataset: { repo: DEFAULT_DATASET.repo, revision: 'unknown' },
        created: '',
        headline: parsed.long ? 'Recall@1' : 'NDCG@10',
        tasks: {},
        inferred: 'BRIGHT outputs folder: retriever, model, query variant and long setting read from the folder and file names',
      };
      run = { summary, folders: new Map() };
      runs.set(key, run);
    }
    const aggregate: Record<string, number> = {};
    for (const [measure, value] of Object.entries(results)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw dataError('results_invalid', `${resultsPath}: "${measure}" is not a number`);
      aggregate[measure] = value;
    }
    const queries = Object.keys(JSON.parse(await fs.readFile(score.file, 'utf8')) as object).length;
    run.summary.tasks[parsed.task] = { num_queries: queries, aggregate };
    run.folders.set(parsed.task, { task: parsed.task, dir: candidate.dir, scoreFile: score.file });
  }
  if (runs.size === 0) return null;
  return [...runs.values()].map(({ summary, folders }) => {
    taskFolders.set(summary, folders);
    const name = summary.model ?? summary.retriever;
    return { dir, label: `${name}${summary.queries !== 'original' ? ` +${summary.queries}` : ''}${summary.long ? ' long' : ''} (BRIGHT outputs)`, summary };
  });
}

/** The score file of a task of a BRIGHT outputs run (`score.json` or `{variant}_score.json`); null for other runs. */
export function brightScoreFile(results: ResultsDir, task: string): string | null {
  return taskFolders.get(results.summary)?.get(task)?.scoreFile ?? null;
}

/**
 * Per-query values of a BRIGHT outputs task: its score file scored against the task's gold ids (gold_ids_long for
 * long runs) at the dataset's main branch, read through the Hugging Face cache like `eval` reads them. Null when `results` is not such a folder.
 */
export async function brightTaskMetrics(results: ResultsDir, task: string): Promise<TaskMetrics | null> {
  const folder = taskFolders.get(results.summary)?.get(task);
  if (!folder) return null;
  // the folder does not say which data it was scored on; BRIGHT's and ReasonIR's scripts read the main branch
  const [run, loaded] = await Promise.all([readRunFile(folder.scoreFile), loadTask({ task, long: results.summary.long, revision: 'main' })]);
  const evaluation = evaluate(run, qrelsFromQueries(loaded.queries, results.summary.long), DEFAULT_MEASURES);
  const perQuery: Record<string, Record<string, number>> = {};
  for (const queryId of evaluation.queryOrder) perQuery[queryId] = evaluation.perQuery.get(queryId)!;
  return { aggregate: evaluation.aggregate, per_query: perQuery };
}

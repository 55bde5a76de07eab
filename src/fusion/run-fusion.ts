import { promises as fs } from 'node:fs';
import { dataError, usageError } from '../core/errors.js';
import { log } from '../core/log.js';
import { packageVersion } from '../core/version.js';
import { loadTask } from '../dataset/load-task.js';
import { DEFAULT_DATASET } from '../dataset/registry.js';
import { qrelsFromQueries } from '../eval/build-run.js';
import { evaluate } from '../eval/evaluate.js';
import { parseMeasure } from '../eval/measure.js';
import { evalMeasures } from '../pipeline/run-evaluation.js';
import type { Run } from '../eval/ranked-list.js';
import { readRunFile } from '../eval/run-file.js';
import { chooseOutputDir, datasetManifest, hostManifest, writeSummary, writeTaskFolder } from '../results/results-folder.js';
import { readResultsDirs, runRevision, taskScoreFile, type ResultsDir, type RunSummary } from '../results/results-folder.js';
import { fuseRuns, type FusionOptions } from './fuse-runs.js';

export interface FusionRequest {
  inputs: string[];
  options: FusionOptions;
  out?: string;
  revision?: string;
  dataDir?: string;
  argv: string[];
  signal: AbortSignal;
}

/** The tasks every input finished; inputs must share the corpus setting (long or not) and dataset revision. */
function commonTasks(runs: ResultsDir[]): string[] {
  const long = new Set(runs.map((run) => run.summary.long));
  if (long.size > 1) throw usageError('fuse_mixed_corpus', 'the inputs mix the long-document setting with the short one: they rank different corpora');
  const revisions = new Set(runs.map((run) => run.summary.dataset?.revision));
  if (revisions.size > 1) throw usageError('fuse_mixed_revision', `the inputs were evaluated on different dataset revisions (${[...revisions].join(', ')}): their documents may differ`);
  const tasks = Object.keys(runs[0]!.summary.tasks).filter((task) => runs.every((run) => run.summary.tasks[task] !== undefined));
  const skipped = runs.flatMap((run) => Object.keys(run.summary.tasks)).filter((task, i, all) => !tasks.includes(task) && all.indexOf(task) === i);
  if (tasks.length === 0) throw usageError('fuse_no_common_task', 'the inputs have no finished task in common');
  if (skipped.length > 0) log.warn(`fusing ${tasks.join(', ')}; ${skipped.join(', ')} ${skipped.length === 1 ? 'is' : 'are'} not in every input and ${skipped.length === 1 ? 'is' : 'are'} skipped`);
  return tasks;
}

/** `reasonir fuse` without the command line: every input's score.json read first, then one results folder. */
export async function runFusion(request: FusionRequest): Promise<{ outDir: string; summary: RunSummary }> {
  if (request.inputs.length < 2) throw usageError('fuse_inputs', 'give at least two results folders to fuse');
  const inputs = await readResultsDirs(request.inputs);
  const tasks = commonTasks(inputs);
  const runsByTask = new Map<string, Run[]>();
  for (const task of tasks) {
    const runs: Run[] = [];
    for (const input of inputs) {
      const file = taskScoreFile(input, task);
      try {
        await fs.access(file);
      } catch {
        throw dataError('fuse_no_scores', `${file} does not exist: fuse reads each task's score.json, as \`reasonir eval\` writes it`);
      }
      runs.push(await readRunFile(file));
    }
    runsByTask.set(task, runs);
  }
  const first = inputs[0]!.summary;
  const revision = request.dataDir ? undefined : (request.revision ?? runRevision(inputs[0]!));
  if (!request.dataDir && revision === undefined) throw usageError('fuse_data', 'the inputs were evaluated from a local --data-dir; pass the same --data-dir');
  const { options } = request;
  const outDir = await chooseOutputDir(request.out, { name: `fusion-${options.method}` });
  const headline = parseMeasure(first.long ? 'Recall@1' : 'NDCG@10');
  const queries = new Set(inputs.map((input) => input.summary.queries));
  const fusion = {
    method: options.method,
    ...(options.method === 'rrf' ? { rrf_k: options.rrfK } : { normalization: options.normalization, weights: options.weights }),
    depth: options.depth,
    k: options.k,
    inputs: inputs.map((input) => ({ dir: input.dir, label: input.label })),
  };
  const summary: RunSummary = {
    reasonir_version: packageVersion(),
    retriever: 'fusion',
    model: null,
    queries: queries.size === 1 ? first.queries : 'mixed',
    long: first.long,
    dataset: { repo: DEFAULT_DATASET.repo, revision: request.dataDir ? 'local' : revision! },
    created: new Date().toISOString(),
    headline: headline.name,
    top_k: options.k,
    tasks: {},
    fusion,
  };
  try {
    for (const task of tasks) {
      // the judgments only: gold ids as qrels, the corpus's ids to check them against
      const loaded = await loadTask({ task, long: first.long, revision, dataDir: request.dataDir, signal: request.signal });
      const run = fuseRuns(runsByTask.get(task)!, options);
      const qrels = qrelsFromQueries(loaded.queries, first.long);
      const evaluation = evaluate(run, qrels, evalMeasures());
      await writeTaskFolder(outDir, task, {
        run,
        tag: `reasonir-fusion-${options.method}`,
        qrels,
        evaluation,
        measures: evalMeasures(),
        manifest: (write_s) => ({
          task,
          dataset: datasetManifest(loaded),
          long: first.long,
          top_k: options.k,
          num_queries: run.size,
          fusion,
          versions: { reasonir: packageVersion(), node: process.version },
          host: hostManifest(),
          timings_s: { write_s },
          argv: request.argv,
          created: new Date().toISOString(),
        }),
      });
      summary.dataset.revision = loaded.revision;
      summary.tasks[task] = { num_queries: evaluation.queryOrder.length, aggregate: evaluation.aggregate };
      await writeSummary(outDir, summary);
      log.info(`${task}: ${headline.name} ${(100 * (evaluation.aggregate[headline.name] ?? 0)).toFixed(2)}`);
    }
  } catch (error) {
    await fs.rmdir(outDir).catch(() => undefined);
    throw error;
  }
  return { outDir, summary };
}

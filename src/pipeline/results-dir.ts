import { runtimeVersions } from '../core/provenance.js';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { makeDirectory, checkWritableDirectory } from '../core/directories.js';
import { usageError } from '../core/errors.js';
import { classifyOsError } from '../core/os-errors.js';
import { writeEvaluationFiles } from '../eval/results-files.js';
import { writeScoreJson } from '../eval/score-json.js';
import { writeTrecQrels } from '../eval/trec-qrels.js';
import { writeTrecRun } from '../eval/trec-run.js';
import { DEFAULT_MEASURES, type Measure } from '../eval/measure.js';
import type { Evaluation } from '../eval/evaluate.js';
import type { Qrels, Run } from '../core/types.js';
import type { CorpusIds, LoadedTask } from '../dataset/load-task.js';
import type { RunSummary } from '../report/results-dir.js';
import type { TaskEvaluation } from './evaluate-task.js';

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

/**
 * Picks the output directory. The default name carries retriever, query variant and date and gets a numeric
 * suffix rather than reuse an earlier run's folder; an explicit --out that already holds results is refused.
 */
export async function chooseOutputDir(
  explicit: string | undefined,
  setting: Pick<EvalSetting, 'retriever' | 'model' | 'queries' | 'long'> | { name: string },
  now = new Date(),
): Promise<string> {
  if (explicit) {
    const existing = await fs.readdir(explicit).catch(() => [] as string[]);
    if (existing.length > 0) {
      throw usageError('output_exists', `--out ${explicit} already contains files; choose a new directory or remove it first`);
    }
    // before any work: a run must not compute for hours and then find it cannot write its results
    await checkWritableDirectory(explicit, 'the output folder (--out)');
    return explicit;
  }
  const stem = 'name' in setting ? [setting.name] : [setting.model ?? setting.retriever, setting.queries, setting.long ? 'long' : null];
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
  const started = performance.now();
  const staging = path.join(outDir, `.${taskName}.partial-${process.pid}`);
  await fs.rm(staging, { recursive: true, force: true });
  await makeDirectory(staging);
  try {
    await writeTrecRun(path.join(staging, 'run.trec'), files.run, files.tag);
    await writeScoreJson(path.join(staging, 'score.json'), files.run);
    if (files.qrels) await writeTrecQrels(path.join(staging, 'qrels.txt'), files.qrels);
    // results.json stays BRIGHT's file (its 25 keys); metrics.json and per_query.tsv hold every measure
    await writeEvaluationFiles(staging, files.evaluation, files.measures, files.measures.filter((m) => DEFAULT_MEASURES.some((d) => d.name === m.name)));
    const manifest = files.manifest((performance.now() - started) / 1000);
    await writeFileAtomic(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rename(staging, path.join(outDir, taskName));
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Content, not local paths: the manifest must describe the data on any machine. */
export function datasetManifest(loaded: LoadedTask<CorpusIds>): unknown {
  return {
    repo: loaded.repo,
    revision: loaded.revision,
    files: loaded.files.map(({ config, path: file, sha256, size }) => ({ config, path: file, sha256, size })),
  };
}

export function hostManifest(): unknown {
  return { hostname: os.hostname(), platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, memory_bytes: os.totalmem() };
}

/** One task of `reasonir eval`: its run, scores and manifest. */
export async function writeTaskResults(
  outDir: string,
  result: TaskEvaluation,
  setting: EvalSetting,
  measures: readonly Measure[],
): Promise<void> {
  await writeTaskFolder(outDir, result.loaded.task.name, {
    run: result.run,
    tag: `reasonir-${setting.model ?? setting.retriever}`,
    qrels: result.qrels,
    evaluation: result.evaluation,
    measures,
    manifest: (write_s) => ({
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
      versions: runtimeVersions(),
      host: hostManifest(),
      timings_s: { ...result.timings, write_s },
      argv: setting.argv,
      created: new Date().toISOString(),
    }),
  });
}

/** `summary.json` (format: RunSummary), rewritten after each finished task. */
export async function writeSummary(outDir: string, summary: RunSummary): Promise<void> {
  await writeFileAtomic(path.join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

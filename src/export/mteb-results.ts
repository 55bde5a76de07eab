/**
 * A results folder as MTEB result files: `<org>__<model>/<revision>/<TaskName>.json` plus model_meta.json, for the
 * legacy BrightRetrieval / BrightLongRetrieval tasks (one file, a score entry per domain) and the current per-domain
 * tasks (Bright<Domain>Retrieval, Bright<Domain>LongRetrieval). Values follow mteb/_evaluators/retrieval_metrics.py:
 * pytrec_eval's ndcg_cut / map_cut / recall / P / success averaged over the judged queries of the run and rounded
 * with Python's round(x, 5); MRR@k by MTEB's own loop (stable sort by score, no rounding); accuracy = Recall@1;
 * the nAUC calibration scores as mteb-nauc.ts computes them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Qrels } from '../core/types.js';
import type { Run } from '../eval/ranked-list.js';
import { packageRoot } from '../core/version.js';
import { evaluate } from '../eval/evaluate.js';
import { makeMeasure, type Measure } from '../eval/measure.js';
import { pythonRound } from '../eval/python-float.js';
import { pythonJsonDump, type PythonJsonValue } from '../eval/python-json.js';
import { confidenceScores, naucScores } from './mteb-nauc.js';

interface MtebTaskFacts {
  task_name: string;
  split: string;
  dataset: { repo: string; revision: string };
  main_score: string;
}

interface MtebBrightConfig {
  k_values: number[];
  languages: string[];
  legacy: Record<'standard' | 'long', MtebTaskFacts>;
  per_domain: {
    dataset: { repo: string; revision: string };
    standard: { split: string; suffix: string; main_score: string };
    long: { split: string; suffix: string; main_score: string };
    domains: Record<string, string>;
  };
}

export const mtebBright: MtebBrightConfig = JSON.parse(readFileSync(path.join(packageRoot, 'configs', 'mteb-bright.json'), 'utf8')) as MtebBrightConfig;

/** One BRIGHT task of a results folder, as export needs it. */
export interface ExportTask {
  task: string;
  run: Run;
  qrels: Qrels;
  /** Seconds the task took to load, retrieve and score (manifest timings), for evaluation_time. */
  seconds: number;
}

/** One MTEB result file's content and where it goes below the model folder. */
export interface MtebFile {
  fileName: string;
  taskName: string;
  /** The task's own pinned revision, to tell the user when the run read another one. */
  pinnedRevision: string;
  json: string;
}

const families = [
  ['ndcg_at_', 'NDCG'],
  ['map_at_', 'MAP'],
  ['recall_at_', 'Recall'],
  ['precision_at_', 'P'],
  ['hit_rate_at_', 'Success'],
] as const;

/** MTEB's mrr(): for each query of the run, the first relevant document (qrel > 0) in the score-sorted top k. */
function mtebReciprocalRanks(run: Run, qrels: Qrels, k: number): number[] {
  const values: number[] = [];
  for (const [queryId, docs] of run) {
    const judgments = qrels.get(queryId);
    if (!judgments) continue;
    // Python's sorted(..., reverse=True) is stable: tied scores keep the run's order
    const ranked = Array.from({ length: docs.length }, (_, i) => i).sort((a, b) => docs.scores[b]! - docs.scores[a]! || a - b);
    let rr = 0.0;
    for (let rank = 0; rank < Math.min(k, ranked.length); rank++) {
      if ((judgments.get(docs.docId(ranked[rank]!)) ?? 0) > 0) {
        rr = 1.0 / (rank + 1);
        break;
      }
    }
    values.push(rr);
  }
  return values;
}

/** Python's sum(list) / len(list), as MTEB averages the reciprocal ranks. */
function pythonMean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length > 0 ? sum / values.length : 0;
}

/** The score entry of one task split, keys sorted as MTEB's files have them. */
export function mtebScores(task: ExportTask, hfSubset: string, mainScore: string): Map<string, PythonJsonValue> {
  const ks = mtebBright.k_values;
  const measures: Measure[] = families.flatMap(([, family]) => ks.map((k) => makeMeasure(family, k)));
  const evaluation = evaluate(task.run, task.qrels, measures);
  const scores: Record<string, number> = {};
  for (const [prefix, family] of families) {
    for (const k of ks) scores[`${prefix}${k}`] = pythonRound(evaluation.aggregate[`${family}@${k}`]!, 5);
  }
  const reciprocalRanks = new Map(ks.map((k) => [k, mtebReciprocalRanks(task.run, task.qrels, k)]));
  for (const k of ks) scores[`mrr_at_${k}`] = pythonMean(reciprocalRanks.get(k)!);
  scores.accuracy = scores.recall_at_1!;
  // MTEB pairs each run query's confidence with the per-query metrics by position; only when every run query was
  // evaluated do the lists line up (always in BRIGHT, where every query has gold ids)
  if (evaluation.queryOrder.length === task.run.size) {
    const confidence = confidenceScores([...task.run.values()].map((docs) => Array.from(docs.scores)));
    const perQuery = (name: string) => evaluation.queryOrder.map((queryId) => evaluation.perQuery.get(queryId)![name]!);
    const metrics = new Map<string, number[]>();
    for (const [prefix, family] of families) {
      if (family === 'Success') continue;
      for (const k of ks) metrics.set(`${prefix}${k}`, perQuery(`${family}@${k}`));
    }
    for (const k of ks) metrics.set(`mrr_at_${k}`, reciprocalRanks.get(k)!);
    for (const [name, value] of naucScores(confidence, metrics)) scores[name] = value;
  }
  scores.main_score = scores[mainScore]!;
  const entry: Record<string, PythonJsonValue> = { ...scores, hf_subset: hfSubset, languages: mtebBright.languages };
  return new Map(Object.keys(entry).sort().map((key) => [key, entry[key]!]));
}

/** The whole file: dataset_revision, evaluation_time, kg_co2_emissions, mteb_version, scores, task_name (sorted). */
function mtebFile(taskName: string, revision: string, seconds: number, split: string, entries: Map<string, PythonJsonValue>[], mtebVersion: string): string {
  const body = new Map<string, PythonJsonValue>([
    ['dataset_revision', revision],
    ['evaluation_time', seconds],
    // no emissions tracker ran: MTEB writes null then too
    ['kg_co2_emissions', null],
    ['mteb_version', mtebVersion],
    ['scores', new Map([[split, entries]])],
    ['task_name', taskName],
  ]);
  return `${pythonJsonDump(body, 2)}\n`;
}

/**
 * Every MTEB file a results folder yields: the legacy task (one file, every domain) and one per-domain task file
 * per BRIGHT task. `revision` is the dataset revision the run read (recorded as the file's dataset_revision).
 */
export function mtebFiles(tasks: readonly ExportTask[], options: { long: boolean; revision: string; mtebVersion: string }): MtebFile[] {
  const setting = options.long ? 'long' : 'standard';
  const legacy = mtebBright.legacy[setting];
  const perDomain = mtebBright.per_domain[setting];
  const files: MtebFile[] = [];
  const legacyEntries = tasks.map((task) => mtebScores(task, task.task, legacy.main_score));
  const totalSeconds = tasks.reduce((sum, task) => sum + task.seconds, 0);
  files.push({
    fileName: `${legacy.task_name}.json`,
    taskName: legacy.task_name,
    pinnedRevision: legacy.dataset.revision,
    json: mtebFile(legacy.task_name, options.revision, totalSeconds, legacy.split, legacyEntries, options.mtebVersion),
  });
  for (const task of tasks) {
    const domain = mtebBright.per_domain.domains[task.task];
    if (!domain) continue;
    const taskName = `Bright${domain}${perDomain.suffix}`;
    files.push({
      fileName: `${taskName}.json`,
      taskName,
      pinnedRevision: mtebBright.per_domain.dataset.revision,
      json: mtebFile(taskName, options.revision, task.seconds, perDomain.split, [mtebScores(task, 'default', perDomain.main_score)], options.mtebVersion),
    });
  }
  return files;
}

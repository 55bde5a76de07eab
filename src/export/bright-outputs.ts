/**
 * A results folder in BRIGHT's own layout, so its and ReasonIR's scripts (and anyone reading their outputs) take
 * our runs: `<out>/outputs/{task}_{model}_long_{True|False}/score.json` and `results.json`, the score file named
 * `{reasoning}_score.json` for reasoning queries as ReasonIR names it (BRIGHT's one name would collide); for dense
 * runs also the embeddings as BRIGHT's and ReasonIR's caches (`<out>/cache/{doc,query}_emb/{model}/{task}/
 * long_{lc}_{bs}/0.npy`), so their scripts find them and skip encoding.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { copyFileAtomic } from '../core/atomic-file.js';
import { log } from '../core/log.js';
import { readArrowBatches } from '../encode/cache/arrow-io.js';
import type { RunSummary } from '../results/results-folder.js';
import { writeNpy } from './npy-writer.js';

/** BRIGHT's model key: the run's model name without the `@<weights digest>` a local model folder is labelled with. */
export function brightModelName(summary: Pick<RunSummary, 'model' | 'retriever'>): string {
  return (summary.model ?? summary.retriever).split('@')[0]!;
}

export function brightOutputFolder(summary: Pick<RunSummary, 'model' | 'retriever' | 'long'>, task: string): string {
  return `${task}_${brightModelName(summary)}_long_${summary.long ? 'True' : 'False'}`;
}

export function brightScoreFileName(queries: string): string {
  return queries === 'original' ? 'score.json' : `${queries}_score.json`;
}

/** One cache entry's embeddings.arrow as a .npy (rows in the entry's order: HF corpus order, examples order). */
async function entryToNpy(cacheRoot: string, key: string, target: string): Promise<boolean> {
  const entry = path.join(cacheRoot, 'embeddings', key.slice(0, 2), key);
  const meta = await fs.readFile(path.join(entry, 'meta.json'), 'utf8').then((text) => JSON.parse(text) as { rows: number }, () => null);
  const arrow = path.join(entry, 'embeddings.arrow');
  if (!meta || !(await fs.access(arrow).then(() => true, () => false))) return false;
  let dim = 0;
  for await (const batch of readArrowBatches(arrow)) {
    dim = batch.dim;
    break;
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await writeNpy(temporary, meta.rows, dim, (async function* () {
      for await (const batch of readArrowBatches(arrow)) yield batch.vectors;
    })());
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  return true;
}

export interface BrightExportOptions {
  /** The batch size in BRIGHT's cache folder name (`long_False_<bs>`): run.py's and ReasonIR's default is -1. */
  batchSize: number;
  /** Where `eval` cached the embeddings ($REASONIR_CACHE). */
  cacheRoot: string;
  /** Each task's manifest (null where the run wrote none). */
  manifests: Map<string, Record<string, unknown> | null>;
}

/** Copies each task's score.json and results.json (already byte-compatible with BRIGHT's) into the layout. */
export async function writeBrightOutputs(resultsDir: string, summary: RunSummary, out: string, options: BrightExportOptions): Promise<string[]> {
  const written: string[] = [];
  const model = brightModelName(summary);
  for (const task of Object.keys(summary.tasks)) {
    const folder = path.join(out, 'outputs', brightOutputFolder(summary, task));
    const scoreFile = path.join(folder, brightScoreFileName(summary.queries));
    await copyFileAtomic(path.join(resultsDir, task, 'score.json'), scoreFile);
    await copyFileAtomic(path.join(resultsDir, task, 'results.json'), path.join(folder, 'results.json'));
    written.push(scoreFile, path.join(folder, 'results.json'));
    const retriever = options.manifests.get(task)?.retriever as { parameters?: { embeddings?: { document: string; query: string } } } | undefined;
    const keys = retriever?.parameters?.embeddings;
    if (!keys) continue;
    const setting = `long_${summary.long ? 'True' : 'False'}_${options.batchSize}`;
    for (const [role, key] of [['doc_emb', keys.document], ['query_emb', keys.query]] as const) {
      const target = path.join(out, 'cache', role, model, task, setting, '0.npy');
      if (await entryToNpy(options.cacheRoot, key, target)) written.push(target);
      else log.warn(`${task}: embedding cache entry ${key.slice(0, 12)} is no longer in ${options.cacheRoot}; ${role} not written (re-run eval to encode again)`);
    }
  }
  return written;
}

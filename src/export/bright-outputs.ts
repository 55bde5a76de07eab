/**
 * A results folder in BRIGHT's own layout, so its and ReasonIR's scripts (and anyone reading their outputs) take
 * our runs: `<out>/outputs/{task}_{model}_long_{True|False}/score.json` and `results.json`, the score file named
 * `{reasoning}_score.json` for reasoning queries as ReasonIR names it (BRIGHT's one name would collide).
 */
import path from 'node:path';
import { copyFileAtomic } from '../core/atomic-file.js';
import type { RunSummary } from '../report/results-dir.js';

export function brightOutputFolder(summary: Pick<RunSummary, 'model' | 'retriever' | 'long'>, task: string): string {
  return `${task}_${summary.model ?? summary.retriever}_long_${summary.long ? 'True' : 'False'}`;
}

export function brightScoreFileName(queries: string): string {
  return queries === 'original' ? 'score.json' : `${queries}_score.json`;
}

/** Copies each task's score.json and results.json (already byte-compatible with BRIGHT's) into the layout. */
export async function writeBrightOutputs(resultsDir: string, summary: RunSummary, out: string): Promise<string[]> {
  const written: string[] = [];
  for (const task of Object.keys(summary.tasks)) {
    const folder = path.join(out, 'outputs', brightOutputFolder(summary, task));
    const scoreFile = path.join(folder, brightScoreFileName(summary.queries));
    await copyFileAtomic(path.join(resultsDir, task, 'score.json'), scoreFile);
    await copyFileAtomic(path.join(resultsDir, task, 'results.json'), path.join(folder, 'results.json'));
    written.push(scoreFile, path.join(folder, 'results.json'));
  }
  return written;
}

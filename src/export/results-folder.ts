/** The tasks of a results folder with what export needs from each: its run, its judgments and its timings. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError } from '../core/errors.js';
import { readRunFile } from '../eval/run-file.js';
import { readQrelsFile } from '../eval/trec-qrels.js';
import { readTaskManifest, type ResultsDir } from '../results/results-folder.js';
import type { ExportTask } from './mteb-results.js';

export interface ExportFolderTask extends ExportTask {
  manifest: Record<string, unknown> | null;
}

export async function readExportTasks(results: ResultsDir): Promise<ExportFolderTask[]> {
  const tasks: ExportFolderTask[] = [];
  for (const task of Object.keys(results.summary.tasks)) {
    const dir = path.join(results.dir, task);
    const qrelsPath = path.join(dir, 'qrels.txt');
    try {
      await fs.access(qrelsPath);
    } catch {
      throw dataError('export.no_qrels', `${qrelsPath} is missing: the folder was written before eval kept its judgments; re-run \`reasonir eval\` for ${task} (or score run.trec with \`reasonir score --task ${task}\`)`);
    }
    const [run, qrels, manifest] = await Promise.all([readRunFile(path.join(dir, 'run.trec')), readQrelsFile(qrelsPath), readTaskManifest(results, task)]);
    const timings = ((manifest as { timings_s?: Record<string, number> } | null)?.timings_s ?? {}) as Record<string, number>;
    // index_s + search_s since the stages were split; retrieve_s in folders written before
    const seconds = (timings.load_s ?? 0) + (timings.index_s ?? 0) + (timings.search_s ?? 0) + (timings.retrieve_s ?? 0) + (timings.score_s ?? 0);
    tasks.push({ task, run, qrels, seconds, manifest: manifest as Record<string, unknown> | null });
  }
  return tasks;
}

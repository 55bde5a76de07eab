import { usageError } from '../core/errors.js';
import type { StartProgress } from '../core/progress.js';
import type { Retriever, Slice, SliceReport } from '../core/types.js';
import { loadTask, type LoadTaskOptions } from '../dataset/load-task.js';
import { taskContext } from './task-context.js';

export interface EncodeTaskOptions extends Omit<LoadTaskOptions, 'queries'> {
  retriever: Retriever;
  /** Build only this slice; without it the whole index is built (or found cached). */
  slice?: Slice;
  progress?: StartProgress;
}

/** What `reasonir encode` did for one task. */
export interface EncodeOutcome {
  task: string;
  /** The slice's report; null when the whole index was asked for. */
  slice: SliceReport | null;
  /** The whole index is cached and ready for `reasonir eval`. */
  complete: boolean;
}

/**
 * The index stage alone: loads the task's corpus and builds (a slice of) its index into the cache, without queries,
 * search or a results folder. Done whatever the other slices' state; `reasonir eval` later gathers them.
 */
export async function encodeTask(options: EncodeTaskOptions): Promise<EncodeOutcome> {
  const { retriever, slice } = options;
  if (slice && !retriever.indexSlice) {
    throw usageError('not_sliceable', `the ${retriever.name} index is built whole (${retriever.name === 'bm25' ? 'its dictionary depends on every document before it' : 'it has no slices'}); run \`reasonir encode\` without --shard`);
  }
  const loaded = await loadTask({ ...options, queries: 'original' });
  const context = taskContext(loaded, { long: options.long ?? false, signal: options.signal, progress: options.progress });
  if (!slice) {
    await retriever.index(loaded.corpus, context);
    await retriever.settled?.();
    return { task: loaded.task.name, slice: null, complete: true };
  }
  const report = await retriever.indexSlice!(loaded.corpus, context, slice);
  return { task: loaded.task.name, slice: report, complete: report.complete };
}

/** One sentence for the log: what this slice covered, what it built, and what the cache holds now. */
export function describeEncodeOutcome(outcome: EncodeOutcome, slice?: Slice): string {
  const { task, slice: report } = outcome;
  if (!report || !slice) return `${task}: the index is cached`;
  const name = `shard ${slice.index}/${slice.count}`;
  const chunks = Math.max(1, Math.ceil(report.totalRows / report.chunkRows));
  const state = report.complete
    ? `all ${report.totalRows} rows are cached and assembled`
    : `${report.cachedRows} of ${report.totalRows} rows are cached; \`reasonir eval\` encodes the rest and scores`;
  if (report.start === report.end) {
    return `${task}: ${name} has no rows to encode (${report.totalRows} rows make ${chunks} chunk${chunks > 1 ? 's' : ''} of ${report.chunkRows}, fewer than ${slice.count} shards); ${state}`;
  }
  return `${task}: ${name} covers rows ${report.start}-${report.end} (chunks of ${report.chunkRows}), encoded ${report.built} now; ${state}`;
}

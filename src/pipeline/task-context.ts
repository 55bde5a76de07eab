import { noProgress, type StartProgress } from '../core/progress.js';
import type { TaskContext } from '../core/types.js';
import type { LoadedTask } from '../dataset/load-task.js';

/** The one context both retrieval stages get, from the loaded task (its resolved commit and corpus hash). */
export function taskContext(loaded: LoadedTask, options: { long: boolean; signal?: AbortSignal; progress?: StartProgress }): TaskContext {
  return {
    task: loaded.task.name,
    dataset: { repo: loaded.repo, revision: loaded.revision, corpusSha256: loaded.corpusSha256 },
    long: options.long,
    signal: options.signal,
    progress: options.progress ?? noProgress,
  };
}

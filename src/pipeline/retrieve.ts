import { memoryCorpus } from '../core/corpus-source.js';
import { noProgress } from '../core/progress.js';
import type { Candidates, Corpus, Query, Retriever, TaskContext } from '../core/types.js';

export interface RetrieveRequest {
  task: string;
  corpus: Corpus;
  /** Content hash of the corpus, the key of its cached index. */
  corpusSha256: string;
  queries: readonly Query[];
  depth: number;
  /** Dataset commit recorded in cache keys (default 'local'). */
  revision?: string;
  long?: boolean;
  signal?: AbortSignal;
  progress?: TaskContext['progress'];
}

/** Both stages over a corpus held in memory: index (cached by `corpusSha256`), then search. For scripts and benchmarks. */
export async function* retrieve(retriever: Retriever, request: RetrieveRequest): AsyncIterable<Candidates> {
  const context: TaskContext = {
    task: request.task,
    dataset: { repo: 'local', revision: request.revision ?? 'local', corpusSha256: request.corpusSha256 },
    long: request.long ?? false,
    signal: request.signal,
    progress: request.progress ?? noProgress,
  };
  retriever.prepareSearch?.(request.queries);
  const index = await retriever.index(memoryCorpus(request.corpus), context);
  try {
    yield* retriever.search(index, request.queries, request.depth, context);
  } finally {
    await retriever.settled?.();
  }
}

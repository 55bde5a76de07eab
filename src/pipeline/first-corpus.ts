import type { Retriever } from '../core/types.js';
import type { LoadTaskOptions } from '../dataset/load-task.js';
import { createRetriever, type RetrieverChoice } from './create-retriever.js';

/**
 * The run's retriever, created and told its first task's corpus file (`Retriever.prefetch`) before the rest of
 * `eval` loads: a cold BM25 run's analysis workers then boot (~0.1 s of CPU each) on the core that the loading of the
 * results, table and pipeline modules leaves idle, and a cached run's index file is read meanwhile. Only a corpus
 * already in the hub cache is told (`cachedCorpusFile`: no network, no download, no hashing, nothing written); a
 * problem with it is ignored here and met where the task's loader meets it, after the run's usage checks, as without
 * this start. For retrievers whose creation does nothing the run could refuse later (BM25): `runEvaluation` takes it
 * as its shared retriever (`EvaluationRequest.started`).
 */
export async function startOnFirstCorpus(choice: RetrieverChoice, first: Pick<LoadTaskOptions, 'task' | 'long' | 'revision' | 'repo' | 'dataDir'>): Promise<Retriever> {
  const [retriever, { cachedCorpusFile }] = await Promise.all([createRetriever(choice, first.task), import('../dataset/load-task.js')]);
  if (retriever.prefetch !== undefined) {
    const corpus = await cachedCorpusFile(first).catch(() => null);
    if (corpus !== null) retriever.prefetch(corpus);
  }
  return retriever;
}

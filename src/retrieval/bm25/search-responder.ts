import { parentPort } from 'node:worker_threads';
import type { WasmMemory } from '../../core/wasm-module.js';
import { passesModule } from './best-rows.js';
import type { AnalyzedIndex } from './gensim-dictionary.js';
import { LuceneBm25Model } from './lucene-bm25-model.js';
import { postingModule, simdModule } from './posting-scores.js';
import { QueryCandidates } from './query-candidates.js';
import { Vocabulary } from './vocabulary.js';
import type { SearchRequest, SearchResult, SearchWorkerData } from './parallel-search.js';

/**
 * A worker thread's side of the parallel search (search workers, and analysis workers once the index they analyzed
 * is built): scores the queries it is sent over the index shared with the main thread (the postings on
 * SharedArrayBuffers) and transfers each query's candidates back. Queries arrive as BM25 vectors: no term is looked
 * up here, so this thread holds no vocabulary. `memory`: a WebAssembly memory to score in (see PostingScores).
 */
export function searchResponder({ postings, k1, b }: SearchWorkerData, memory?: WasmMemory): (request: SearchRequest) => void {
  const index: AnalyzedIndex = { ...postings, vocabulary: new Vocabulary(new Uint8Array(0), new Uint32Array(1)) };
  const candidates = new QueryCandidates(new LuceneBm25Model(index, k1, b, memory));
  return ({ query, queryId, vector, keep }) => {
    const result = candidates.of(queryId, vector, keep);
    const transfer = [result.scores.buffer, ...(result.docIndices ? [result.docIndices.buffer] : [])] as ArrayBuffer[];
    parentPort!.postMessage({ query, candidates: result } satisfies SearchResult, transfer);
  };
}

/**
 * Compiles the scoring's WebAssembly modules (the kernels, the selection's passes), which the first query would
 * otherwise wait for (~5 ms on the VM): an analysis worker told SearchAhead does it while it waits for the index.
 * The kernels' are those of an unshared memory: such a worker scores in its analyzer's.
 */
export function compileScoring(): void {
  postingModule();
  simdModule();
  passesModule();
}

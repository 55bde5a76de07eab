import type { Candidates, Query } from '../../core/types.js';
import type { DeviceRequest } from '../../encode/ort-backend.js';
import { normalizeInPlace } from '../../encode/pooling.js';
import { exactTopK, type DocumentBlock } from './exact-search.js';

export interface EmbeddingSearch {
  /** One vector per query of the input, in its order. */
  queries: Float32Array;
  dim: number;
  /** Documents in the corpus. */
  totalRows: number;
  /** Document vectors in corpus row order, in blocks. */
  blocks: (blockRows: number) => AsyncIterable<DocumentBlock>;
  /** L2-normalise both sides first (cosine over vectors that are not unit length yet). */
  normalize: boolean;
  scoreScale: number;
  device: DeviceRequest;
  signal?: AbortSignal;
}

/**
 * Each query's candidates from embeddings: the exact top (depth + its excluded count) rows, so that the run keeps
 * `depth` documents once the excluded ones are dropped.
 */
export async function* rankByEmbedding(queries: readonly Query[], depth: number, search: EmbeddingSearch): AsyncIterable<Candidates> {
  if (search.normalize) normalizeRows(search.queries, search.dim);
  const tops = await exactTopK({
    queries: search.queries,
    queryCount: queries.length,
    dim: search.dim,
    totalRows: search.totalRows,
    needed: queries.map((query) => depth + query.excludedIds.length),
    scoreScale: search.scoreScale,
    device: search.device,
    signal: search.signal,
    blocks: async function* (blockRows) {
      for await (const block of search.blocks(blockRows)) {
        if (search.normalize) normalizeRows(block.vectors, search.dim);
        yield block;
      }
    },
  });
  for (let q = 0; q < queries.length; q++) {
    yield { queryId: queries[q]!.id, docIndices: tops[q]!.rows, scores: tops[q]!.scores };
  }
}

/** Row-wise L2 normalisation (torchmetrics pairwise_cosine_similarity divides by the norms). */
function normalizeRows(vectors: Float32Array, dim: number): void {
  for (let offset = 0; offset < vectors.length; offset += dim) normalizeInPlace(vectors, offset, dim);
}

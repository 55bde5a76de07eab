import { dataError, throwIfAborted } from '../../core/errors.js';
import { openModel, type DeviceRequest } from '../../encode/ort-backend.js';
import { scoreBlock } from './score-block.js';
import { buildScoreGraph } from './score-graph.js';
import { TopRows, type TopList } from './top-rows.js';

/**
 * Upper bound on floats in one document block or its [queries x rows] score matrix, per provider. On the CPU both
 * buffers are reused from block to block, and a small pair stays in cache and costs few first-touch page faults
 * (a fresh 128 MB buffer cost ~0.5 s of faults on a 2-core VM, more than its Gemm); a GPU wants large launches.
 */
const BLOCK_FLOATS = { cpu: 1 << 22, cuda: 1 << 25 } as const;

export interface DocumentBlock {
  /** corpus row of the block's first vector */
  start: number;
  rows: number;
  /** Valid until the next block is asked for: a producer may read the next block into the same memory. */
  vectors: Float32Array;
}

export interface SearchRequest {
  queries: Float32Array;
  queryCount: number;
  dim: number;
  /** Documents in row order, in blocks (each block is scored against every query at once). */
  blocks: (blockRows: number) => AsyncIterable<DocumentBlock>;
  totalRows: number;
  /** How many top documents each query needs (depth + its excluded count). */
  needed: number[];
  /** Scores are fround(dot * scoreScale), as the reference code multiplies float32 tensors. */
  scoreScale: number;
  device: DeviceRequest;
  signal?: AbortSignal;
}

/** Rows per block so that neither the block nor its [queries x rows] score matrix exceeds the provider's bound. */
export function blockRowsFor(dim: number, queryCount: number, provider: 'cpu' | 'cuda' = 'cpu'): number {
  return Math.max(1, Math.floor(BLOCK_FLOATS[provider] / Math.max(dim, queryCount, 1)));
}

/**
 * Exact top-k by matrix product on onnxruntime (CUDA when the device allows). The corpus streams in blocks; each
 * block's [queries x rows] scores come from one Gemm into a reused buffer, and every query keeps its best rows
 * (TopRows: one comparison with a running floor rejects nearly every score; ties at the cut are decided exactly as
 * the run orders them, score descending then row ascending).
 */
export async function exactTopK(request: SearchRequest): Promise<TopList[]> {
  const { queryCount, dim, scoreScale } = request;
  if (queryCount === 0) return [];
  const tops = request.needed.map((needed) => new TopRows(Math.max(0, Math.min(needed, request.totalRows)), request.totalRows));
  const gemm = await openModel(buildScoreGraph(dim), request.device, 'search');
  const blockRows = blockRowsFor(dim, queryCount, gemm.provider);
  // the Gemm writes into the block's memory, where selection scans it (score-block.ts)
  const scoreBuffer = scoreBlock(queryCount * Math.min(blockRows, Math.max(request.totalRows, 1)));
  let seen = 0;
  try {
    for await (const block of request.blocks(blockRows)) {
      throwIfAborted(request.signal);
      if (block.start !== seen) throw dataError('embeddings.order', `search: document block starts at row ${block.start}, expected ${seen}`);
      seen += block.rows;
      if (block.rows === 0) continue;
      const n = block.rows;
      const scores = scoreBuffer.values.subarray(0, queryCount * n);
      await gemm.run(
        {
          queries: { type: 'float32', data: request.queries, dims: [queryCount, dim] },
          documents: { type: 'float32', data: block.vectors, dims: [n, dim] },
        },
        { scores: { data: scores, dims: [queryCount, n] } },
      );
      // a float32 store rounds: fround(dot * scale), as the reference multiplies float32 tensors
      if (scoreScale !== 1) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! * scoreScale;
      for (let q = 0; q < queryCount; q++) tops[q]!.offer(scoreBuffer, q * n, (q + 1) * n, block.start);
    }
  } finally {
    await gemm.release();
  }
  if (seen !== request.totalRows) throw dataError('embeddings.row_count', `search: the document embeddings hold ${seen} rows, the corpus has ${request.totalRows}`);
  return tops.map((top) => top.drain());
}

import { dataError, throwIfAborted } from '../../core/errors.js';
import { openModel, type DeviceRequest, type OrtModel } from '../../encode/ort-backend.js';
import { buildScoreGraph } from './topk-graph.js';

/** Extra candidates fetched per block so that ties at the cut rarely need the full score row. */
const TIE_MARGIN = 32;
/** Upper bound on floats in one score matrix or document block (128 MB). */
const BLOCK_FLOATS = 1 << 25;

export interface DocumentBlock {
  /** corpus row of the block's first vector */
  start: number;
  rows: number;
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

export interface TopList {
  rows: Uint32Array;
  scores: Float32Array;
}

/** Rows per block so that neither the block nor its [queries x rows] score matrix exceeds BLOCK_FLOATS. */
export function blockRowsFor(dim: number, queryCount: number): number {
  return Math.max(1, Math.floor(BLOCK_FLOATS / Math.max(dim, queryCount, 1)));
}

class Pool {
  scores: number[] = [];
  rows: number[] = [];

  add(score: number, row: number): void {
    this.scores.push(score);
    this.rows.push(row);
  }

  /** Keeps the best `keep` entries in run order (score desc, row asc), exactly the ones that rank first downstream. */
  prune(keep: number): void {
    const order = this.rows.map((_, i) => i).sort((a, b) => this.scores[b]! - this.scores[a]! || this.rows[a]! - this.rows[b]!);
    const kept = order.slice(0, keep);
    this.scores = kept.map((i) => this.scores[i]!);
    this.rows = kept.map((i) => this.rows[i]!);
  }
}

/**
 * Exact top-k by matrix product on onnxruntime (CUDA when the device allows). The corpus streams in blocks;
 * each block's TopK returns k + margin per query. Everything scoring strictly above the smallest returned score is
 * guaranteed present, so when that covers the need the block is exact; otherwise (many equal scores at the cut,
 * e.g. duplicate documents) the block's full score rows come from the same Gemm and are selected here.
 */
export async function exactTopK(request: SearchRequest): Promise<TopList[]> {
  const { queryCount, dim, scoreScale } = request;
  const pools = Array.from({ length: queryCount }, () => new Pool());
  if (queryCount === 0) return [];
  const maxNeeded = Math.max(...request.needed);
  const topk = await openModel(buildScoreGraph(dim, true), request.device, 'search');
  let fullScores: OrtModel | undefined;
  const scale = (value: number) => (scoreScale === 1 ? value : Math.fround(value * scoreScale));
  let seen = 0;
  try {
    for await (const block of request.blocks(blockRowsFor(dim, queryCount))) {
      throwIfAborted(request.signal);
      if (block.start !== seen) throw dataError('embeddings.order', `search: document block starts at row ${block.start}, expected ${seen}`);
      seen += block.rows;
      const k = Math.min(block.rows, maxNeeded + TIE_MARGIN);
      const feeds = {
        queries: { type: 'float32' as const, data: request.queries, dims: [queryCount, dim] },
        documents: { type: 'float32' as const, data: block.vectors, dims: [block.rows, dim] },
      };
      const result = await topk.run({ ...feeds, k: { type: 'int64', data: BigInt64Array.of(BigInt(k)), dims: [1] } });
      const values = result.values!.data as Float32Array;
      const indices = result.indices!.data as BigInt64Array;
      const unsettled: number[] = [];
      for (let q = 0; q < queryCount; q++) {
        const needed = Math.min(request.needed[q]!, block.rows);
        const base = q * k;
        const cut = scale(values[base + k - 1]!);
        const whole = k === block.rows;
        let above = 0;
        for (let i = 0; i < k; i++) if (scale(values[base + i]!) > cut) above++;
        if (!whole && above < needed) {
          unsettled.push(q);
          continue;
        }
        for (let i = 0; i < k; i++) {
          const score = scale(values[base + i]!);
          if (whole || score > cut) pools[q]!.add(score, block.start + Number(indices[base + i]!));
        }
      }
      if (unsettled.length > 0) {
        fullScores ??= await openModel(buildScoreGraph(dim, false), request.device, 'search');
        const scores = (await fullScores.run(feeds)).scores!.data as Float32Array;
        for (const q of unsettled) {
          const needed = Math.min(request.needed[q]!, block.rows);
          const row = scores.subarray(q * block.rows, (q + 1) * block.rows);
          const pool = new Pool();
          for (let i = 0; i < block.rows; i++) pool.add(scale(row[i]!), block.start + i);
          pool.prune(needed);
          pool.scores.forEach((score, i) => pools[q]!.add(score, pool.rows[i]!));
        }
      }
      pools.forEach((pool, q) => pool.prune(request.needed[q]!));
    }
  } finally {
    await topk.release();
    await fullScores?.release();
  }
  if (seen !== request.totalRows) throw dataError('embeddings.row_count', `search: the document embeddings hold ${seen} rows, the corpus has ${request.totalRows}`);
  return pools.map((pool) => ({ rows: Uint32Array.from(pool.rows), scores: Float32Array.from(pool.scores) }));
}

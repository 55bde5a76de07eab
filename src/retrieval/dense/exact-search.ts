import { dataError, throwIfAborted } from '../../core/errors.js';
import { openModel, type DeviceRequest } from '../../encode/ort-backend.js';
import { buildScoreGraph } from './score-graph.js';

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

export interface TopList {
  rows: Uint32Array;
  scores: Float32Array;
}

/** Rows per block so that neither the block nor its [queries x rows] score matrix exceeds the provider's bound. */
export function blockRowsFor(dim: number, queryCount: number, provider: 'cpu' | 'cuda' = 'cpu'): number {
  return Math.max(1, Math.floor(BLOCK_FLOATS[provider] / Math.max(dim, queryCount, 1)));
}

const scaled = (value: number, scale: number) => (scale === 1 ? value : Math.fround(value * scale));

/**
 * The best `capacity` (score, row) pairs offered so far, in run order: score descending, then row ascending. A
 * min-heap whose root is the worst kept pair, in typed arrays.
 */
class TopHeap {
  // float32 scores held as doubles (exactly): no conversion on every comparison
  private readonly scores: Float64Array;
  private readonly rows: Uint32Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.rows = new Uint32Array(capacity);
  }

  /**
   * Offers rows start, start+1, ... (all after every row offered before) with scores fround(row[i] * scale). Once
   * the heap is full, one comparison with its worst kept score rejects nearly every row.
   */
  offerRow(row: Float32Array, start: number, scale: number): void {
    const { capacity, scores } = this;
    let i = 0;
    for (; i < row.length && this.size < capacity; i++) this.siftUp(this.size++, scaled(row[i]!, scale), start + i);
    if (capacity === 0) return;
    let floor = scores[0]!;
    for (; i < row.length; i++) {
      const score = scaled(row[i]!, scale);
      if (score > floor) {
        this.siftDown(score, start + i, capacity);
        floor = scores[0]!;
      }
    }
  }

  /** Empties the heap into run order. */
  drain(): TopList {
    const length = this.size;
    const rows = new Uint32Array(length);
    const scores = new Float32Array(length);
    // popping the worst first fills the lists from their end
    for (let end = length - 1; end >= 0; end--) {
      rows[end] = this.rows[0]!;
      scores[end] = this.scores[0]!;
      this.size--;
      if (this.size > 0) this.siftDown(this.scores[this.size]!, this.rows[this.size]!, this.size);
    }
    return { rows, scores };
  }

  /** Is (scoreA, rowA) worse than (scoreB, rowB)? Lower score, or the same score on a later row. */
  private static worse(scoreA: number, rowA: number, scoreB: number, rowB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && rowA > rowB);
  }

  private siftUp(at: number, score: number, row: number): void {
    let child = at;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!TopHeap.worse(score, row, this.scores[parent]!, this.rows[parent]!)) break;
      this.scores[child] = this.scores[parent]!;
      this.rows[child] = this.rows[parent]!;
      child = parent;
    }
    this.scores[child] = score;
    this.rows[child] = row;
  }

  /** Puts (score, row) at the root of the first `size` entries and restores the heap. */
  private siftDown(score: number, row: number, size: number): void {
    const { scores, rows } = this;
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= size) break;
      let childScore = scores[child]!;
      const right = child + 1;
      if (right < size) {
        const rightScore = scores[right]!;
        if (rightScore < childScore || (rightScore === childScore && rows[right]! > rows[child]!)) {
          child = right;
          childScore = rightScore;
        }
      }
      // stop once the worse child is not worse than the entry
      if (childScore > score || (childScore === score && rows[child]! < row)) break;
      scores[parent] = childScore;
      rows[parent] = rows[child]!;
      parent = child;
    }
    scores[parent] = score;
    rows[parent] = row;
  }
}

/**
 * Exact top-k by matrix product on onnxruntime (CUDA when the device allows). The corpus streams in blocks; each
 * block's [queries x rows] scores come from one Gemm into a reused buffer, and every query keeps its best rows in a
 * bounded heap. Rows arrive in ascending order, so a score equal to a full heap's worst loses the tie: one
 * comparison per score rejects nearly all of them, and ties at the cut are decided exactly as the run orders them.
 */
export async function exactTopK(request: SearchRequest): Promise<TopList[]> {
  const { queryCount, dim, scoreScale } = request;
  if (queryCount === 0) return [];
  const heaps = request.needed.map((needed) => new TopHeap(Math.max(0, Math.min(needed, request.totalRows))));
  const gemm = await openModel(buildScoreGraph(dim), request.device, 'search');
  const blockRows = blockRowsFor(dim, queryCount, gemm.provider);
  const scoreBuffer = new Float32Array(queryCount * Math.min(blockRows, Math.max(request.totalRows, 1)));
  let seen = 0;
  try {
    for await (const block of request.blocks(blockRows)) {
      throwIfAborted(request.signal);
      if (block.start !== seen) throw dataError('embeddings.order', `search: document block starts at row ${block.start}, expected ${seen}`);
      seen += block.rows;
      if (block.rows === 0) continue;
      const n = block.rows;
      const scores = scoreBuffer.subarray(0, queryCount * n);
      await gemm.run(
        {
          queries: { type: 'float32', data: request.queries, dims: [queryCount, dim] },
          documents: { type: 'float32', data: block.vectors, dims: [n, dim] },
        },
        { scores: { data: scores, dims: [queryCount, n] } },
      );
      for (let q = 0; q < queryCount; q++) heaps[q]!.offerRow(scores.subarray(q * n, (q + 1) * n), block.start, scoreScale);
    }
  } finally {
    await gemm.release();
  }
  if (seen !== request.totalRows) throw dataError('embeddings.row_count', `search: the document embeddings hold ${seen} rows, the corpus has ${request.totalRows}`);
  return heaps.map((heap) => heap.drain());
}

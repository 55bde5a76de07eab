import { dataError, throwIfAborted } from '../../core/errors.js';
import { cpuThreads, type DeviceRequest, type OrtModel } from '../../encode/ort-backend.js';
import { BlockSearch, openSearchGemm, type BlockSearchSetup } from './block-search.js';
import { SearchHelper } from './search-helper.js';
import { mergeTopLists, type TopList } from './top-rows.js';

/**
 * Upper bound on floats in one document block or its [queries x rows] score matrix, per provider. On the CPU both
 * buffers are reused from block to block, and a small pair stays in cache and costs few first-touch page faults
 * (a fresh 128 MB buffer cost ~0.5 s of faults on a 2-core VM, more than its Gemm); a GPU wants large launches.
 */
const BLOCK_FLOATS = { cpu: 1 << 22, cuda: 1 << 25 } as const;

/**
 * Multiply-adds (queries x rows x dim) from which a CPU search shares its blocks with a helper thread
 * (search-helper.ts): ~34 GFLOP, ~0.2 s of Gemm on one thread, against the helper's start (a Node worker,
 * onnxruntime's binding, a session: ~0.1 s of CPU on the other core, more on a loaded machine). A biology-sized
 * search (57k x 103 x 768) stays on one thread pool; a leetcode-sized one (413k x 142 x 768) shares.
 */
const HELPER_WORK = 2 ** 34;

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
  /**
   * Whether a helper thread scores some of the blocks on the CPU (the same result either way); by default when the
   * search is large enough to pay for its start (HELPER_WORK) and there are two threads (cpuThreads) to run on.
   */
  helper?: boolean;
}

/** Rows per block so that neither the block nor its [queries x rows] score matrix exceeds the provider's bound. */
export function blockRowsFor(dim: number, queryCount: number, provider: 'cpu' | 'cuda' = 'cpu'): number {
  return Math.max(1, Math.floor(BLOCK_FLOATS[provider] / Math.max(dim, queryCount, 1)));
}

/**
 * Exact top-k by matrix product on onnxruntime (CUDA when the device allows). The corpus streams in blocks; each
 * block's [queries x rows] scores come from one Gemm into a reused buffer, and every query keeps its best rows
 * (TopRows: one comparison with a running floor rejects nearly every score; ties at the cut are decided exactly as
 * the run orders them, score descending then row ascending). A large search on the CPU shares the blocks with a
 * helper thread, each thread's Gemms on half the threads, and merges the two threads' best rows at the end.
 */
export async function exactTopK(request: SearchRequest): Promise<TopList[]> {
  const { queryCount, dim } = request;
  if (queryCount === 0) return [];
  const threads = cpuThreads();
  const shared = request.device.kind !== 'cuda' && (request.helper ?? (threads >= 2 && queryCount * request.totalRows * dim >= HELPER_WORK));
  const helperThreads = Math.max(1, Math.floor(threads / 2));
  const setup: BlockSearchSetup = {
    queries: request.queries,
    queryCount,
    dim,
    capacities: request.needed.map((needed) => Math.max(0, Math.min(needed, request.totalRows))),
    totalRows: request.totalRows,
    scoreScale: request.scoreScale,
    blockRows: Math.max(1, Math.min(blockRowsFor(dim, queryCount), request.totalRows)),
  };
  // started first: its thread boots (~0.1 s) while this one opens its session and scores the first blocks
  let helper = shared ? SearchHelper.begin(setup, helperThreads) : undefined;
  let gemm: OrtModel | undefined;
  try {
    gemm = await openSearchGemm(dim, request.device, shared ? Math.max(1, threads - helperThreads) : threads);
    if (gemm.provider === 'cuda') {
      // `auto` found a GPU: one session takes every block, in the GPU's larger blocks
      await helper?.end();
      helper = undefined;
      setup.blockRows = Math.max(1, Math.min(blockRowsFor(dim, queryCount, 'cuda'), request.totalRows));
    }
    return await searchBlocks(request, new BlockSearch(gemm, setup), helper);
  } finally {
    await Promise.all([gemm?.release(), helper?.end()]);
  }
}

/** Hands each block to the helper when it has room for it, else scores it here; the best rows of both, merged. */
async function searchBlocks(request: SearchRequest, search: BlockSearch, helper: SearchHelper | undefined): Promise<TopList[]> {
  const { setup } = search;
  let seen = 0;
  for await (const block of request.blocks(setup.blockRows)) {
    throwIfAborted(request.signal);
    if (block.start !== seen) throw dataError('embeddings.order', `search: document block starts at row ${block.start}, expected ${seen}`);
    seen += block.rows;
    if (block.rows === 0) continue;
    if (!helper?.take(block, setup.dim)) await search.add(block.start, block.rows, block.vectors);
  }
  if (seen !== request.totalRows) throw dataError('embeddings.row_count', `search: the document embeddings hold ${seen} rows, the corpus has ${request.totalRows}`);
  const helped = helper?.finish();
  const tops = search.drain();
  if (!helped) return tops;
  const theirs = await helped;
  return tops.map((top, q) => mergeTopLists(top, theirs[q]!, setup.capacities[q]!));
}

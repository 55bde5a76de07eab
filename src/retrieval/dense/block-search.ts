import { openModel, type DeviceRequest, type OrtModel } from '../../encode/ort-backend.js';
import { scoreBlock, type ScoreBlock } from './score-block.js';
import { buildScoreGraph } from './score-graph.js';
import { TopRows, type TopList } from './top-rows.js';

/** What a thread that scores document blocks needs to know of the search; the same on every thread of one search. */
export interface BlockSearchSetup {
  queries: Float32Array;
  queryCount: number;
  dim: number;
  /** Rows each query keeps (its depth, bounded by the corpus). */
  capacities: number[];
  totalRows: number;
  /** Scores are fround(dot * scoreScale), as the reference code multiplies float32 tensors. */
  scoreScale: number;
  /** The largest block it will be given (at least 1). */
  blockRows: number;
}

/** The search's Gemm session (`threads`: its CPU threads, every core's unless given). */
export function openSearchGemm(dim: number, device: DeviceRequest, threads?: number): Promise<OrtModel> {
  return openModel(buildScoreGraph(dim), device, 'search', threads);
}

/**
 * One thread's share of an exact search: each block it is given is scored against every query by one Gemm into a
 * reused buffer, and every query keeps its best rows of the blocks this thread saw (TopRows). The blocks must come
 * in ascending row order, which holds for any subset of the corpus's blocks taken in order.
 */
export class BlockSearch {
  private readonly tops: TopRows[];
  // the Gemm writes into the block's memory, where selection scans it (score-block.ts)
  private readonly scores: ScoreBlock;

  constructor(
    private readonly gemm: OrtModel,
    readonly setup: Readonly<BlockSearchSetup>,
  ) {
    this.tops = setup.capacities.map((capacity) => new TopRows(capacity, setup.totalRows));
    this.scores = scoreBlock(setup.queryCount * setup.blockRows);
  }

  /** Scores rows start .. start + rows - 1, whose vectors are `vectors` (rows x dim). */
  async add(start: number, rows: number, vectors: Float32Array): Promise<void> {
    if (rows === 0) return;
    const { queryCount, dim, scoreScale } = this.setup;
    const scores = this.scores.values.subarray(0, queryCount * rows);
    await this.gemm.run(
      {
        queries: { type: 'float32', data: this.setup.queries, dims: [queryCount, dim] },
        documents: { type: 'float32', data: vectors, dims: [rows, dim] },
      },
      { scores: { data: scores, dims: [queryCount, rows] } },
    );
    // a float32 store rounds: fround(dot * scale), as the reference multiplies float32 tensors
    if (scoreScale !== 1) for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! * scoreScale;
    for (let q = 0; q < queryCount; q++) this.tops[q]!.offer(this.scores, q * rows, (q + 1) * rows, start);
  }

  /** Each query's best rows of the blocks added, in run order. */
  drain(): TopList[] {
    return this.tops.map((top) => top.drain());
  }
}

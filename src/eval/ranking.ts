/**
 * One query's retrieved documents as the scorer reads them, whatever holds them: a RankedList (ranked-list.ts), or
 * the bytes of a TREC run file (run-table.ts), which spares a string per line. Positions are 0-based, in the order
 * given (rank order, or line order in a file).
 */
export interface Ranking {
  readonly length: number;
  /** The scores as trec_eval compares them, C floats, by position (the caller must not modify them). */
  float32Scores(): Float32Array;
  /** The order of two positions' document ids by code point (C's strcmp on UTF-8): <0, 0 or >0. */
  compareIds(a: number, b: number): number;
  /** Calls `visit` once for each position whose document `judgments` judges, with its relevance. */
  forEachJudged(judgments: ReadonlyMap<string, number>, visit: (position: number, relevance: number) => void): void;
}

/** A run as evaluate() reads it: query id -> its documents, queries in run order. */
export type ScorableRun = ReadonlyMap<string, Ranking>;

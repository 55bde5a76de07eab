import type { RankedDoc } from '../core/types.js';
import { compareCodePoints } from '../core/code-point-order.js';

/**
 * One query's retrieved documents as the scorer reads them, whatever holds them: a RankedDoc array, or the bytes
 * of a TREC run file (run-table.ts), which spares a string and an object per line. Positions are 0-based, in the
 * order given (rank order, or line order in a file).
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
export type ScorableRun = ReadonlyMap<string, Ranking | readonly RankedDoc[]>;

export function asRanking(docs: Ranking | readonly RankedDoc[]): Ranking {
  return isDocArray(docs) ? new DocsRanking(docs) : docs;
}

function isDocArray(docs: Ranking | readonly RankedDoc[]): docs is readonly RankedDoc[] {
  return Array.isArray(docs);
}

class DocsRanking implements Ranking {
  constructor(private readonly docs: readonly RankedDoc[]) {}

  get length(): number {
    return this.docs.length;
  }

  float32Scores(): Float32Array {
    return Float32Array.from(this.docs, (doc) => doc.score);
  }

  compareIds(a: number, b: number): number {
    return compareCodePoints(this.docs[a]!.docId, this.docs[b]!.docId);
  }

  forEachJudged(judgments: ReadonlyMap<string, number>, visit: (position: number, relevance: number) => void): void {
    for (let i = 0; i < this.docs.length; i++) {
      const relevance = judgments.get(this.docs[i]!.docId);
      if (relevance !== undefined) visit(i, relevance);
    }
  }
}

import { compareCodePoints } from '../core/code-point-order.js';
import type { IdRows } from '../core/id-rows.js';
import type { Ranking } from './ranking.js';

/**
 * One query's retrieved documents in rank order, as two columns: each position's row in a table of document ids
 * (a corpus's ids, shared by every list of a run, or ids of the list's own) and its score. A run of 103 queries x
 * 1000 documents is then a few typed arrays per query, where an object and a boxed score per document were what
 * the garbage collector copied and traced while a run was built.
 */
export class RankedList implements Ranking {
  constructor(
    /** The id table `rows` index into; shared, never copied or changed. */
    readonly ids: readonly string[],
    /** Per position, the row of its document id in `ids`. */
    readonly rows: Uint32Array,
    /** Per position, its score (a retriever's float32 scores are exact as doubles). */
    readonly scores: Float64Array,
    /** The rows of `ids` by id, where the list was built over a corpus's ids (buildRankedList): judged ids are then found by row. */
    private readonly index?: IdRows,
  ) {
    if (rows.length !== scores.length) throw new Error(`RankedList: ${rows.length} rows for ${scores.length} scores`);
  }

  /** A list over ids of its own, in their order. */
  static of(docIds: readonly string[], scores: ArrayLike<number>): RankedList {
    return new RankedList(docIds, positions(docIds.length), Float64Array.from(scores));
  }

  get length(): number {
    return this.rows.length;
  }

  docId(position: number): string {
    return this.ids[this.rows[position]!]!;
  }

  /** The document ids in rank order. */
  docIds(): string[] {
    return Array.from(this.rows, (row) => this.ids[row]!);
  }

  /** The documents at `positions`, in that order, over the same id table. */
  pick(positions: readonly number[]): RankedList {
    return new RankedList(
      this.ids,
      Uint32Array.from(positions, (position) => this.rows[position]!),
      Float64Array.from(positions, (position) => this.scores[position]!),
      this.index,
    );
  }

  float32Scores(): Float32Array {
    return new Float32Array(this.scores);
  }

  compareIds(a: number, b: number): number {
    return compareCodePoints(this.docId(a), this.docId(b));
  }

  forEachJudged(judgments: ReadonlyMap<string, number>, visit: (position: number, relevance: number) => void): void {
    const { ids, rows, index } = this;
    if (index && judgments.size <= JUDGED_BY_ROW) {
      // a query has a few judged ids: their rows are found once, and each position compares its row with them,
      // where a lookup of its id in `judgments` (~100k per biology eval) was most of the evaluation's time
      const judgedRows: number[] = [];
      const relevances: number[] = [];
      for (const [id, relevance] of judgments) {
        const row = index.rowOf(id);
        if (row < 0) continue;
        judgedRows.push(row);
        relevances.push(relevance);
      }
      if (judgedRows.length === 0) return;
      const { groups } = index;
      for (let i = 0; i < rows.length; i++) {
        // an id on several rows is judged on each (rowOf gives its first)
        const row = groups ? (groups.get(rows[i]!) ?? rows[i]!) : rows[i]!;
        for (let j = 0; j < judgedRows.length; j++) {
          if (judgedRows[j] === row) {
            visit(i, relevances[j]!);
            break;
          }
        }
      }
      return;
    }
    for (let i = 0; i < rows.length; i++) {
      const relevance = judgments.get(ids[rows[i]!]!);
      if (relevance !== undefined) visit(i, relevance);
    }
  }
}

/** Judged ids per query up to which forEachJudged compares rows (one comparison per judged id and position). */
const JUDGED_BY_ROW = 16;

/** qid -> its documents in rank order; queries in run order. */
export type Run = Map<string, RankedList>;

/** 0, 1, ..., length - 1: the rows of ids listed in position order. */
export function positions(length: number): Uint32Array {
  const rows = new Uint32Array(length);
  for (let i = 0; i < length; i++) rows[i] = i;
  return rows;
}

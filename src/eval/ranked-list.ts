import { compareCodePoints } from '../core/code-point-order.js';
import { CorpusIds } from '../core/corpus-ids.js';
import type { Ranking } from './ranking.js';

/**
 * One query's retrieved documents in rank order, as two columns: each position's row in a table of document ids
 * (a corpus's ids, shared by every list of a run, or ids of the list's own) and its score. A run of 103 queries x
 * 1000 documents is then a few typed arrays per query, where an object and a boxed score per document were what
 * the garbage collector copied and traced while a run was built. Over a corpus's ids (CorpusIds, as bytes), an id is
 * made a string only when asked for by `docId`.
 */
export class RankedList implements Ranking {
  constructor(
    /** The id table `rows` index into; shared, never copied or changed. */
    readonly ids: readonly string[] | CorpusIds,
    /** Per position, the row of its document id in `ids`. */
    readonly rows: Uint32Array,
    /** Per position, its score (a retriever's float32 scores are exact as doubles). */
    readonly scores: Float64Array,
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
    const { ids } = this;
    const row = this.rows[position]!;
    return ids instanceof CorpusIds ? ids.id(row) : ids[row]!;
  }

  /** The document ids in rank order. */
  docIds(): string[] {
    return Array.from(this.rows.keys(), (position) => this.docId(position));
  }

  /** The documents at `positions`, in that order, over the same id table. */
  pick(positions: readonly number[]): RankedList {
    return new RankedList(
      this.ids,
      Uint32Array.from(positions, (position) => this.rows[position]!),
      Float64Array.from(positions, (position) => this.scores[position]!),
    );
  }

  float32Scores(): Float32Array {
    return new Float32Array(this.scores);
  }

  compareIds(a: number, b: number): number {
    const { ids } = this;
    return ids instanceof CorpusIds ? ids.compare(this.rows[a]!, this.rows[b]!) : compareCodePoints(ids[this.rows[a]!]!, ids[this.rows[b]!]!);
  }

  forEachJudged(judgments: ReadonlyMap<string, number>, visit: (position: number, relevance: number) => void): void {
    const { ids, rows } = this;
    if (!(ids instanceof CorpusIds)) {
      for (let i = 0; i < rows.length; i++) {
        const relevance = judgments.get(ids[rows[i]!]!);
        if (relevance !== undefined) visit(i, relevance);
      }
      return;
    }
    // the judged ids' rows are marked once, and each position reads its row's mark, where a lookup of its id in
    // `judgments` (~100k per biology eval) was most of the evaluation's time, and made a string of every id
    const nested = marking;
    if (!nested && judgedMarks.length < ids.length) judgedMarks = new Int32Array(ids.length);
    if (!nested && judgedHits.length < 2 * rows.length + 2) judgedHits = new Int32Array(2 * rows.length + 2);
    const marks = nested ? new Int32Array(ids.length) : judgedMarks;
    const hits = nested ? new Int32Array(2 * rows.length + 2) : judgedHits;
    marking = true;
    const relevances: number[] = [];
    const marked: number[] = [];
    try {
      for (const [id, relevance] of judgments) {
        const row = ids.rowOf(id);
        if (row < 0) continue;
        relevances.push(relevance);
        marked.push(row);
        marks[row] = relevances.length;
      }
      if (marked.length === 0) return;
      const count = judgedPositions(rows, ids.groups, marks, hits);
      for (let h = 0; h < count; h++) visit(hits[2 * h]!, relevances[hits[2 * h + 1]! - 1]!);
    } finally {
      for (const row of marked) marks[row] = 0;
      marking = nested;
    }
  }
}

/**
 * Per corpus row, 1 + the index of its id among the judged ids of the list being visited (0: not judged), all zeros
 * between visits; grown to the largest corpus met. `judgedHits`: the visit's judged positions (judgedPositions). A
 * visit made inside another (`visit` calling forEachJudged) uses arrays of its own.
 */
let judgedMarks = new Int32Array(0);
let judgedHits = new Int32Array(0);
let marking = false;

/**
 * Writes each judged position and its mark into `hits` (pairs, in position order; room for 2 * rows.length + 2
 * values: each position writes its pair before the count tells whether it stays) and returns how many. A loop of
 * its own that does the same work at every position, judged or not: a judged position first met after the
 * optimizing compiler took the loop (typically the first list's first one) found a path it had no feedback for, and
 * the whole method was dropped and compiled again in the middle of a cold eval's search.
 */
function judgedPositions(rows: Uint32Array, groups: ReadonlyMap<number, number> | null, marks: Int32Array, hits: Int32Array): number {
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    // an id on several rows is judged on each (rowOf gives its first)
    const mark = marks[groups ? (groups.get(rows[i]!) ?? rows[i]!) : rows[i]!]!;
    hits[2 * count] = i;
    hits[2 * count + 1] = mark;
    count += mark === 0 ? 0 : 1;
  }
  return count;
}

/** qid -> its documents in rank order; queries in run order. */
export type Run = Map<string, RankedList>;

/** 0, 1, ..., length - 1: the rows of ids listed in position order. */
export function positions(length: number): Uint32Array {
  const rows = new Uint32Array(length);
  for (let i = 0; i < length; i++) rows[i] = i;
  return rows;
}

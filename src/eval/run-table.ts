import { compareBytes, hashBytes } from '../core/id-bytes.js';
import { positions, RankedList, type Run } from './ranked-list.js';
import type { Ranking } from './ranking.js';

/**
 * A TREC run kept as columns, one entry per line: where its document id lies in one pool of id bytes, the id's
 * hash, and its score. Scoring a run file this way makes no string and no object per line (they were most of the work, in
 * the garbage collector: a run of 433k lines kept ~1.3M small objects alive). Rows are grouped by query, queries in
 * order of first appearance, rows of a query in line order. Built by TrecRunParser (trec-run-parser.ts).
 */
export class RunTable {
  constructor(
    /** The document ids' bytes, one after another. */
    readonly bytes: Buffer,
    /** Query ids in run order; rows of query q are [queryStarts[q], queryStarts[q + 1]). */
    readonly queryIds: readonly string[],
    readonly queryStarts: Uint32Array,
    readonly idStarts: Uint32Array,
    readonly idEnds: Uint32Array,
    readonly idHashes: Int32Array,
    /** Each score as trec_eval compares it (a C float). */
    readonly scores: Float32Array,
    /** Each score's double, when the parse kept them (toRun needs them). */
    readonly exactScores: Float64Array | null,
  ) {}

  /** Per query, its rows as a Ranking (see ScorableRun). */
  rankings(): Map<string, Ranking> {
    const probe = new IdProbe(this);
    return new Map(this.queryIds.map((queryId, q) => [queryId, new TableRanking(this, probe, this.queryStarts[q]!, this.queryStarts[q + 1]!)]));
  }

  /** The run as RankedLists over one table of the lines' ids, for the stages that keep or rewrite documents. */
  toRun(): Run {
    const exact = this.exactScores;
    if (!exact) throw new Error('RunTable.toRun: the run was parsed without its exact scores');
    const lines = exact.length;
    const ids = new Array<string>(lines);
    for (let row = 0; row < lines; row++) ids[row] = this.docId(row);
    const rows = positions(lines);
    const run: Run = new Map();
    this.queryIds.forEach((queryId, q) => {
      const start = this.queryStarts[q]!;
      const end = this.queryStarts[q + 1]!;
      run.set(queryId, new RankedList(ids, rows.subarray(start, end), exact.subarray(start, end)));
    });
    return run;
  }

  docId(row: number): string {
    return this.bytes.toString('utf8', this.idStarts[row], this.idEnds[row]);
  }

  /** Whether rows a and b hold the same document id. */
  sameId(a: number, b: number): boolean {
    return this.idHashes[a] === this.idHashes[b] && compareBytes(this.bytes, this.idStarts[a]!, this.idEnds[a]!, this.bytes, this.idStarts[b]!, this.idEnds[b]!) === 0;
  }
}

/**
 * Open-addressing table of one query's rows by document id, reused from query to query: finds the row of an id
 * given as a string (a judgment) or as another row (a repeat).
 */
export class IdProbe {
  private slots = new Int32Array(0);
  private mask = 0;
  private scratch = Buffer.alloc(256);

  constructor(private readonly table: RunTable) {}

  /** Fills the table with rows [start, end); returns the first row whose id an earlier row of the range has, or -1. */
  fill(start: number, end: number): number {
    const size = 1 << Math.max(4, Math.ceil(Math.log2(2 * (end - start) + 1)));
    if (this.slots.length < size) this.slots = new Int32Array(size);
    else this.slots.fill(0, 0, size);
    this.mask = size - 1;
    const { idHashes } = this.table;
    for (let row = start; row < end; row++) {
      let slot = idHashes[row]! & this.mask;
      for (;;) {
        const held = this.slots[slot]!;
        if (held === 0) {
          this.slots[slot] = row + 1;
          break;
        }
        if (this.table.sameId(held - 1, row)) return row;
        slot = (slot + 1) & this.mask;
      }
    }
    return -1;
  }

  /** The row of `docId` among those of the last fill, or -1. */
  find(docId: string): number {
    if (this.scratch.length < docId.length * 3) this.scratch = Buffer.alloc(docId.length * 3);
    const length = this.scratch.write(docId, 0, 'utf8');
    const { bytes, idStarts, idEnds } = this.table;
    let slot = hashBytes(this.scratch, 0, length) & this.mask;
    for (;;) {
      const held = this.slots[slot]!;
      if (held === 0) return -1;
      const row = held - 1;
      if (compareBytes(bytes, idStarts[row]!, idEnds[row]!, this.scratch, 0, length) === 0) return row;
      slot = (slot + 1) & this.mask;
    }
  }
}

class TableRanking implements Ranking {
  readonly length: number;

  constructor(
    private readonly table: RunTable,
    private readonly probe: IdProbe,
    private readonly start: number,
    end: number,
  ) {
    this.length = end - start;
  }

  float32Scores(): Float32Array {
    return this.table.scores.subarray(this.start, this.start + this.length);
  }

  compareIds(a: number, b: number): number {
    const { bytes, idStarts, idEnds } = this.table;
    const rowA = this.start + a;
    const rowB = this.start + b;
    return compareBytes(bytes, idStarts[rowA]!, idEnds[rowA]!, bytes, idStarts[rowB]!, idEnds[rowB]!);
  }

  forEachJudged(judgments: ReadonlyMap<string, number>, visit: (position: number, relevance: number) => void): void {
    if (judgments.size === 0 || this.length === 0) return;
    this.probe.fill(this.start, this.start + this.length);
    for (const [docId, relevance] of judgments) {
      const row = this.probe.find(docId);
      if (row !== -1) visit(row - this.start, relevance);
    }
  }
}

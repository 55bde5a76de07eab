import type { ScoreBlock } from './score-block.js';

export interface TopList {
  rows: Uint32Array;
  scores: Float32Array;
}

/** Buckets of the score histogram that finds a cut's floor; one more for the maximum itself. */
const BUCKETS = 256;

/**
 * The best `capacity` (score, row) pairs offered so far, in run order: score descending, then row ascending.
 *
 * Offered pairs that beat the current floor are appended to a buffer twice the capacity (up to the corpus size).
 * When it fills, it is cut: a 256-bucket histogram of its scores finds the highest bucket that, with those above
 * it, holds at least `capacity` pairs; the pairs below that bucket are dropped and the lowest kept score becomes the
 * floor (the bucket index never decreases as the score grows, so every dropped pair scores below every kept one).
 * Rows arrive in ascending order, so a later score equal to the floor can never enter: at least `capacity` kept
 * pairs beat it, those at the floor by their earlier rows. After the first block, one comparison with the floor
 * rejects nearly every score (ScoreBlock.collect: 16 at a time), and the rare candidate costs an append, not a heap insert.
 */
export class TopRows {
  // float32 scores, kept as they came: the run lists float32 scores
  private readonly scores: Float32Array;
  private readonly rows: Uint32Array;
  private readonly counts = new Int32Array(BUCKETS + 1);
  private size = 0;
  /** Scores at or below it cannot enter; -Infinity until the buffer has been cut once. */
  private floor = -Infinity;
  /** The pairs are in row order: rows arrive in order and a histogram cut keeps the order; an exact selection does not. */
  private rowOrdered = true;

  /** `totalRows` bounds the buffer: a query that wants the whole corpus keeps every row and never cuts. */
  constructor(
    readonly capacity: number,
    totalRows: number,
  ) {
    const room = Math.min(Math.max(2 * capacity, 1), Math.max(totalRows, capacity));
    this.scores = new Float32Array(room);
    this.rows = new Uint32Array(room);
  }

  /** Offers rows start, start+1, ... (all after every row offered before) with scores block.values[from..to). */
  offer(block: ScoreBlock, from: number, to: number, start: number): void {
    if (this.capacity === 0) return;
    const { scores, rows } = this;
    const values = block.values;
    const room = scores.length;
    const first = start - from;
    let i = from;
    // until the first cut every row is kept (-Infinity included), without comparing
    if (this.floor === -Infinity && this.size < room) {
      const end = Math.min(to, from + room - this.size);
      scores.set(values.subarray(from, end), this.size);
      for (; i < end; i++) rows[this.size++] = first + i;
    }
    const hits = block.hits;
    while (i < to) {
      // a full buffer is cut before more candidates are collected (the pairs a cut drops can never be among the
      // best `capacity`, so when it happens does not change what drain returns)
      if (this.size === room) this.cut();
      const max = Math.min(room - this.size, hits.length);
      const found = block.collect(i, to, this.floor, max);
      let size = this.size;
      for (let k = 0; k < found; k++) {
        const at = hits[k]!;
        scores[size] = values[at]!;
        rows[size++] = first + at;
      }
      this.size = size;
      if (found < max) return;
      i = hits[found - 1]! + 1;
    }
  }

  /** The kept pairs in run order (the buffer is spent). */
  drain(): TopList {
    if (this.size > this.capacity) this.cut();
    const length = Math.min(this.size, this.capacity);
    if (this.rowOrdered) return byScore(this.scores, this.rows, this.size, length);
    sortRange(this.scores, this.rows, 0, this.size - 1);
    return { rows: this.rows.slice(0, length), scores: this.scores.slice(0, length) };
  }

  /** Drops the pairs that cannot be among the best `capacity` and raises the floor. */
  private cut(): void {
    const { capacity, scores, rows, counts } = this;
    const size = this.size;
    let low = scores[0]!;
    let high = low;
    for (let i = 1; i < size; i++) {
      const score = scores[i]!;
      if (score < low) low = score;
      if (score > high) high = score;
    }
    const scale = BUCKETS / (high - low);
    let kept = size;
    // an infinite score or a single score value leaves no buckets to count: the exact selection decides
    if (Number.isFinite(scale)) {
      counts.fill(0);
      for (let i = 0; i < size; i++) counts[((scores[i]! - low) * scale) | 0]!++;
      let bucket = BUCKETS;
      let above = counts[bucket]!;
      while (above < capacity) above += counts[--bucket]!;
      kept = 0;
      for (let i = 0; i < size; i++) {
        const score = scores[i]!;
        scores[kept] = score;
        rows[kept] = rows[i]!;
        // branch-free: kept grows by one exactly when the score's bucket is at or above the cut bucket
        kept += (bucket - 1 - (((score - low) * scale) | 0)) >>> 31;
      }
    }
    if (kept > (capacity + size) / 2) {
      // the cut bucket holds most pairs (ties, or one outlier stretching the range): keep exactly the best `capacity`
      selectBest(scores, rows, 0, kept - 1, capacity);
      kept = capacity;
      this.rowOrdered = false;
    }
    let floor = scores[0]!;
    for (let i = 1; i < kept; i++) if (scores[i]! < floor) floor = scores[i]!;
    this.size = kept;
    this.floor = floor;
  }
}

/** Digits of the radix sort: four passes of 8 bits over a 32-bit key. */
const RADIX = 256;
const counts = new Int32Array(4 * RADIX);
/** The radix sort's keys and positions, two of each (a pass reads one, writes the other); grown as needed. */
let scratch = new Uint32Array(0);

/**
 * The first `length` of `size` row-ordered pairs in run order: a stable radix sort on the score alone (4 passes
 * of 8 bits, a pass skipped when every key shares its digit) keeps equal scores in row order, i.e. ties by row
 * ascending, with no comparisons. Float32 bits with the sign bit flipped (all bits for negatives) order the values
 * as unsigned integers; complemented they sort descending; -0 takes 0's key (equal in run order). The scores are
 * moved as bits. The engine's Float64Array sort of one packed key per pair, used before, cost ~75 us a query
 * (11 ms for 142 queries of 1000): a merge sort with a comparator call per step.
 */
function byScore(scores: Float32Array, rows: Uint32Array, size: number, length: number): TopList {
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, size);
  if (scratch.length < 4 * size) scratch = new Uint32Array(4 * Math.max(size, RADIX));
  let keys = scratch.subarray(0, size);
  let spare = scratch.subarray(size, 2 * size);
  let at = scratch.subarray(2 * size, 3 * size);
  let spareAt = scratch.subarray(3 * size, 4 * size);
  counts.fill(0);
  for (let i = 0; i < size; i++) {
    const value = bits[i]!;
    const order = value === 0x80000000 ? value : value >>> 31 ? ~value >>> 0 : (value | 0x80000000) >>> 0;
    const key = ~order >>> 0;
    keys[i] = key;
    at[i] = i;
    counts[key & 0xff]!++;
    counts[RADIX + ((key >>> 8) & 0xff)]!++;
    counts[2 * RADIX + ((key >>> 16) & 0xff)]!++;
    counts[3 * RADIX + (key >>> 24)]!++;
  }
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * RADIX;
    const shift = pass * 8;
    if (counts[base + ((keys[0]! >>> shift) & 0xff)] === size) continue;
    let sum = 0;
    for (let digit = base; digit < base + RADIX; digit++) {
      const count = counts[digit]!;
      counts[digit] = sum;
      sum += count;
    }
    for (let i = 0; i < size; i++) {
      const key = keys[i]!;
      const to = counts[base + ((key >>> shift) & 0xff)]!++;
      spare[to] = key;
      spareAt[to] = at[i]!;
    }
    [keys, spare, at, spareAt] = [spare, keys, spareAt, at];
  }
  const outRows = new Uint32Array(length);
  const outScores = new Float32Array(length);
  const outBits = new Uint32Array(outScores.buffer);
  for (let i = 0; i < length; i++) {
    const from = at[i]!;
    outRows[i] = rows[from]!;
    outBits[i] = bits[from]!;
  }
  return { rows: outRows, scores: outScores };
}

/** Does (scores[a], rows[a]) come before (scores[b], rows[b]) in run order? */
function before(scores: Float32Array, rows: Uint32Array, a: number, b: number): boolean {
  return scores[a]! > scores[b]! || (scores[a] === scores[b] && rows[a]! < rows[b]!);
}

function swap(scores: Float32Array, rows: Uint32Array, a: number, b: number): void {
  const score = scores[a]!;
  scores[a] = scores[b]!;
  scores[b] = score;
  const row = rows[a]!;
  rows[a] = rows[b]!;
  rows[b] = row;
}

/**
 * Partitions [lo, hi] around the median of its first, middle and last pairs; returns the pivot's final index
 * (everything before it comes before it in run order). Rows are distinct, so run order is strict: no run of
 * equal keys degrades the partition.
 */
function partition(scores: Float32Array, rows: Uint32Array, lo: number, hi: number): number {
  const mid = lo + ((hi - lo) >> 1);
  if (before(scores, rows, mid, lo)) swap(scores, rows, mid, lo);
  if (before(scores, rows, hi, lo)) swap(scores, rows, hi, lo);
  if (before(scores, rows, hi, mid)) swap(scores, rows, hi, mid);
  // the median is at mid: park it at hi
  swap(scores, rows, mid, hi);
  let store = lo;
  for (let i = lo; i < hi; i++) {
    if (before(scores, rows, i, hi)) swap(scores, rows, i, store++);
  }
  swap(scores, rows, store, hi);
  return store;
}

/** Reorders [lo, hi] so that its first `count` pairs are its best (in no particular order). */
function selectBest(scores: Float32Array, rows: Uint32Array, lo: number, hi: number, count: number): void {
  const target = lo + count;
  let left = lo;
  let right = hi;
  while (right > left) {
    const pivot = partition(scores, rows, left, right);
    if (pivot === target || pivot === target - 1) return;
    if (pivot < target) left = pivot + 1;
    else right = pivot - 1;
  }
}

/** Sorts [lo, hi] into run order: quicksort, insertion sort below 16 pairs. */
function sortRange(scores: Float32Array, rows: Uint32Array, lo: number, hi: number): void {
  let left = lo;
  let right = hi;
  while (right - left >= 16) {
    const pivot = partition(scores, rows, left, right);
    // recurse into the smaller side: the stack stays logarithmic
    if (pivot - left < right - pivot) {
      sortRange(scores, rows, left, pivot - 1);
      left = pivot + 1;
    } else {
      sortRange(scores, rows, pivot + 1, right);
      right = pivot - 1;
    }
  }
  for (let i = left + 1; i <= right; i++) {
    const score = scores[i]!;
    const row = rows[i]!;
    let j = i - 1;
    while (j >= left && (scores[j]! < score || (scores[j] === score && rows[j]! > row))) {
      scores[j + 1] = scores[j]!;
      rows[j + 1] = rows[j]!;
      j--;
    }
    scores[j + 1] = score;
    rows[j + 1] = row;
  }
}

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

  /** `totalRows` bounds the buffer: a query that wants the whole corpus keeps every row and never cuts. */
  constructor(
    readonly capacity: number,
    private readonly totalRows: number,
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
    if (!(this.totalRows <= KEY_ROWS && sortByKeys(this.scores, this.rows, this.size))) sortRange(this.scores, this.rows, 0, this.size - 1);
    const length = Math.min(this.size, this.capacity);
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
    }
    let floor = scores[0]!;
    for (let i = 1; i < kept; i++) if (scores[i]! < floor) floor = scores[i]!;
    this.size = kept;
    this.floor = floor;
  }
}

/** Rows below 2^21 fit beside a float32's 32 order bits in the 53-bit integers a double holds exactly. */
const KEY_ROWS = 2 ** 21;

/**
 * Sorts the first `size` pairs into run order by the engine's native numeric sort of one exact double per pair,
 * (32-bit order of the score, reversed) * 2^21 + row: no comparator calls. The drain runs once per query, mostly
 * before the JIT has warmed up, where the quicksort cost ~20 ms more CPU on a cold 103-query search. Returns false,
 * sorting nothing, when a score is -0 (equal to 0 in run order, but not in its bits).
 */
function sortByKeys(scores: Float32Array, rows: Uint32Array, size: number): boolean {
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, size);
  const keys = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const value = bits[i]!;
    if (value === 0x80000000) return false;
    // as unsigned integers, flipped bits order float32 values: negatives reversed below the positives
    const order = value >>> 31 ? ~value >>> 0 : (value | 0x80000000) >>> 0;
    keys[i] = (0xffffffff - order) * KEY_ROWS + rows[i]!;
  }
  keys.sort();
  for (let i = 0; i < size; i++) {
    const key = keys[i]!;
    const high = Math.floor(key / KEY_ROWS);
    const order = 0xffffffff - high;
    bits[i] = order >= 0x80000000 ? order - 0x80000000 : ~order >>> 0;
    rows[i] = key - high * KEY_ROWS;
  }
  return true;
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

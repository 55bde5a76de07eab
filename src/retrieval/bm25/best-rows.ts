/** Histogram buckets: one per value of a float32 score's top 16 bits. */
const BUCKETS = 1 << 16;

/**
 * The best `keep` rows of a BM25 score array in BRIGHT's ranking order (higher score first, ties to the lower row,
 * as Python's stable `sorted(..., reverse=True)` leaves them), returned in ascending row order.
 *
 * BM25 scores are sums of positive weights, so never negative, and non-negative float32 values order like their bit
 * patterns. A histogram of the top 16 bits finds the bucket holding the keep-th best score in one pass; a second
 * pass keeps every row above that bucket and ranks only the bucket's own rows exactly. Two linear passes, where a
 * heap over a corpus-sized list spends most of its time re-sifting the thousands of rows that enter it.
 * One instance per search: its histogram is reused, since fresh memory for each query costs more than the scan.
 */
export class BestRows {
  private readonly counts = new Uint32Array(BUCKETS);

  select(scores: Float32Array, keep: number): Uint32Array {
    const n = scores.length;
    if (keep >= n) return Uint32Array.from({ length: n }, (_, row) => row);
    const best = new Uint32Array(keep);
    if (keep === 0) return best;
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
    const counts = this.counts;
    countBuckets(bits, counts);
    const { bucket, above } = boundary(counts, keep);
    // rows above the bucket are all kept; the bucket's rows ranked by (low 16 bits descending, row ascending)
    const tied = new Float64Array(counts[bucket]!);
    splitAt(bits, bucket, best, tied);
    tied.sort();
    for (let i = 0; above + i < keep; i++) best[above + i] = tied[i]! % 2 ** 32;
    return best.sort();
  }
}

/*
 * The two passes over all rows are small functions of their own: run ~100 times a process, they spend much of their
 * time before and during their optimization, which a small function with no untaken path gets sooner and once.
 */

/** Histogram of the top 16 bits. */
function countBuckets(bits: Uint32Array, counts: Uint32Array): void {
  counts.fill(0);
  for (let row = 0; row < bits.length; row++) counts[bits[row]! >>> 16]!++;
}

/** The bucket holding the keep-th best score, and how many rows lie above it. */
function boundary(counts: Uint32Array, keep: number): { bucket: number; above: number } {
  // +Infinity's bucket is the last one that orders correctly: above it lie NaN and the negative numbers
  for (let bucket = 0x7f81; bucket < BUCKETS; bucket++) {
    if (counts[bucket] !== 0) throw new Error('BM25 produced a negative or NaN score');
  }
  let bucket = 0x7f80;
  let above = 0;
  while (above + counts[bucket]! < keep) above += counts[bucket--]!;
  return { bucket, above };
}

/** Rows above `bucket` into `best`, the bucket's own rows as sortable keys into `tied`. */
function splitAt(bits: Uint32Array, bucket: number, best: Uint32Array, tied: Float64Array): void {
  let kept = 0;
  let at = 0;
  for (let row = 0; row < bits.length; row++) {
    const high = bits[row]! >>> 16;
    if (high > bucket) best[kept++] = row;
    else if (high === bucket) tied[at++] = (0xffff - (bits[row]! & 0xffff)) * 2 ** 32 + row;
  }
}

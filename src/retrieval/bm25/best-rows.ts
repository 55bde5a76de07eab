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
  private readonly counts = new Uint32Array(1 << 16);

  select(scores: Float32Array, keep: number): Uint32Array {
    const n = scores.length;
    if (keep >= n) return Uint32Array.from({ length: n }, (_, row) => row);
    const best = new Uint32Array(keep);
    if (keep === 0) return best;
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
    const counts = this.counts;
    counts.fill(0);
    for (let row = 0; row < n; row++) counts[bits[row]! >>> 16]!++;
    // +Infinity's bucket is the last one that orders correctly: above it lie NaN and the negative numbers
    for (let bucket = 0x7f81; bucket < counts.length; bucket++) {
      if (counts[bucket] !== 0) throw new Error('BM25 produced a negative or NaN score');
    }
    let bucket = 0x7f80;
    let above = 0;
    while (above + counts[bucket]! < keep) above += counts[bucket--]!;

    // rows above the bucket are all kept; the bucket's rows ranked by (low 16 bits descending, row ascending)
    const tied = new Float64Array(counts[bucket]!);
    let kept = 0;
    let at = 0;
    for (let row = 0; row < n; row++) {
      const high = bits[row]! >>> 16;
      if (high > bucket) best[kept++] = row;
      else if (high === bucket) tied[at++] = (0xffff - (bits[row]! & 0xffff)) * 2 ** 32 + row;
    }
    tied.sort();
    for (let i = 0; kept < keep; i++) best[kept++] = tied[i]! % 2 ** 32;
    return best.sort();
  }
}

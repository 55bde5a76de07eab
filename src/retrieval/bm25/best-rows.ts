import { prefault } from '../../core/prefault.js';
import { CONTROL, I32, i32Const as constant, localGet as get, localSet as set, growMemory, moduleWithMemory, sharedMemory, webAssembly, zeroFunction, type SharedWasmMemory, type WasmModule } from '../../core/wasm-module.js';

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
 *
 * Both passes run as WebAssembly over a copy of the scores in its memory: run once per query (~100 times a
 * process), JavaScript loops spent most of their time before and while the optimizing compiler worked on them.
 * One instance per search: its memory (scores, histogram, kept rows, the bucket's sort keys) is reused from query to
 * query, since fresh memory for each query costs more than the passes; a shared memory, which V8 does not count
 * against its heap's limit (core/wasm-module.ts `sharedMemory`).
 */
export class BestRows {
  private memory: SharedWasmMemory | null = null;
  private passes!: Passes;
  /** Rows the memory is laid out for, and the byte offsets of its regions. */
  private rows = -1;
  private countsAt = 0;
  private bestAt = 0;
  private tiedAt = 0;

  /**
   * Lays the memory out for `n` rows and has the thread pool prefault it (core/prefault.ts), so that the first
   * selection touches no fresh page on this thread (~250 pages biology-sized): `select` must not run before the
   * promise resolves.
   */
  prefault(n: number): Promise<void> {
    this.layOut(n);
    return prefault(new Uint8Array(this.memory!.buffer));
  }

  /**
   * The best `keep` rows in ascending row order, and their scores in that order (what a query's candidates are): the
   * scores gathered in WebAssembly from the copy `select` makes, where a JavaScript loop over ~100k rows per eval ran
   * mostly before the optimizing compiler took it.
   */
  select(scores: Float32Array, keep: number): { rows: Uint32Array; scores: Float32Array } {
    const n = scores.length;
    if (keep >= n) return { rows: Uint32Array.from({ length: n }, (_, row) => row), scores: scores.slice() };
    if (keep === 0) return { rows: new Uint32Array(0), scores: new Float32Array(0) };
    this.layOut(n);
    const { buffer } = this.memory!;
    new Float32Array(buffer, 0, n).set(scores);
    this.passes.zero(this.countsAt, this.countsAt + 4 * BUCKETS);
    const counts = new Uint32Array(buffer, this.countsAt, BUCKETS);
    let bucket = this.passes.histogram(0, 4 * n, this.countsAt);
    // +Infinity's bucket is the last one that orders correctly: above it lie NaN and the negative numbers
    if (bucket > 0x7f80) throw new Error('BM25 produced a negative or NaN score');
    let above = 0;
    while (above + counts[bucket]! < keep) above += counts[bucket--]!;
    // rows above the bucket are all kept; the bucket's rows ranked by (low 16 bits descending, row ascending)
    this.passes.split(0, 4 * n, bucket, this.bestAt, this.tiedAt);
    const tied = new Float64Array(buffer, this.tiedAt, counts[bucket]!).sort();
    const best = new Uint32Array(buffer, this.bestAt, keep);
    for (let i = 0; above + i < keep; i++) best[above + i] = tied[i]! % 2 ** 32;
    const rows = best.slice().sort();
    // the bucket's keys are spent: their region (8n bytes) takes the gathered scores
    best.set(rows);
    this.passes.gather(this.bestAt, this.bestAt + 4 * keep, this.tiedAt);
    return { rows, scores: new Float32Array(buffer, this.tiedAt, keep).slice() };
  }

  /** Regions for `n` rows: scores (4n bytes), histogram, kept rows (4n), the bucket's keys (8n). */
  private layOut(n: number): void {
    if (n <= this.rows) return;
    this.rows = n;
    this.countsAt = Math.ceil(n / 2) * 8;
    this.bestAt = this.countsAt + 4 * BUCKETS;
    this.tiedAt = this.bestAt + Math.ceil(n / 2) * 8;
    const end = this.tiedAt + 8 * n;
    if (this.memory === null) {
      this.memory = sharedMemory(end);
      this.passes = new webAssembly.Instance(passesModule(), { m: { memory: this.memory } }).exports as unknown as Passes;
    } else {
      growMemory(this.memory, end);
    }
  }
}

interface Passes {
  /** Counts the top 16 bits of the float32 values in bytes [from, end) into the u32 array at `counts`; returns the largest. */
  histogram(from: number, end: number, counts: number): number;
  /**
   * The rows (indices of the values in bytes [from, end)) whose top 16 bits exceed `bucket`, as u32 from `best` in
   * row order, and those in the bucket as f64 sort keys (0xffff - low 16 bits) * 2^32 + row from `tied`.
   */
  split(from: number, end: number, bucket: number, best: number, tied: number): void;
  /** The values (from byte 0) at the u32 rows in bytes [rows, end), as u32 bits from `out` in that order. */
  gather(rows: number, end: number, out: number): void;
  /** Zeroes bytes [at, end) (the histogram, per query). */
  zero(at: number, end: number): void;
}

let compiled: WasmModule | undefined;

/**
 * The two passes and the gather, in the text format:
 *
 *   (func $histogram (param $p i32) (param $end i32) (param $counts i32) (result i32) (local $high i32) (local $max i32)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $high (i32.shr_u (i32.load (local.get $p)) (i32.const 16)))
 *       (local.set $max (select (local.get $high) (local.get $max) (i32.gt_u (local.get $high) (local.get $max))))
 *       (local.set $high (i32.add (local.get $counts) (i32.shl (local.get $high) (i32.const 2))))
 *       (i32.store (local.get $high) (i32.add (i32.load (local.get $high)) (i32.const 1)))
 *       (local.set $p (i32.add (local.get $p) (i32.const 4)))
 *       (br $next)))
 *     (local.get $max))
 *
 *   (func $split (param $p i32) (param $end i32) (param $bucket i32) (param $best i32) (param $tied i32)
 *     (local $bits i32) (local $row i32)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $bits (i32.load (local.get $p)))
 *       (if (i32.gt_u (i32.shr_u (local.get $bits) (i32.const 16)) (local.get $bucket))
 *         (then (i32.store (local.get $best) (local.get $row))
 *               (local.set $best (i32.add (local.get $best) (i32.const 4))))
 *         (else (if (i32.eq (i32.shr_u (local.get $bits) (i32.const 16)) (local.get $bucket))
 *           (then (f64.store (local.get $tied) (f64.convert_i64_u (i64.or
 *                   (i64.shl (i64.extend_i32_u (i32.sub (i32.const 0xffff) (i32.and (local.get $bits) (i32.const 0xffff))))
 *                            (i64.const 32))
 *                   (i64.extend_i32_u (local.get $row)))))
 *                 (local.set $tied (i32.add (local.get $tied) (i32.const 8)))))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 4)))
 *       (local.set $row (i32.add (local.get $row) (i32.const 1)))
 *       (br $next))))
 *
 *   (func $gather (param $p i32) (param $end i32) (param $out i32)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (i32.store (local.get $out) (i32.load (i32.shl (i32.load (local.get $p)) (i32.const 2))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 4)))
 *       (local.set $out (i32.add (local.get $out) (i32.const 4)))
 *       (br $next))))
 *
 * The key is below 2^48, so the double holds it exactly, and ascending keys are BRIGHT's order within the bucket. The
 * scores are gathered as their bits: the same float32 values, -0 and all. The module imports a shared memory (BestRows's).
 */
export function passesModule(): WasmModule {
  const plus = (local: number, value: number) => [...get(local), ...constant(value), 0x6a, ...set(local)];
  const { BLOCK, LOOP, IF, ELSE, BR, BR_IF, END, EMPTY } = CONTROL;
  const [LOAD, STORE, ADD, SUB, AND, SHL, SHR_U, EQ, GT_U, GE_U, SELECT] = [[0x28, 2, 0], [0x36, 2, 0], 0x6a, 0x6b, 0x71, 0x74, 0x76, 0x46, 0x4b, 0x4f, 0x1b];
  const [I64_EXTEND_I32_U, I64_SHL, I64_OR, F64_CONVERT_I64_U, F64_STORE] = [0xad, 0x86, 0x84, 0xba, [0x39, 3, 0]];
  const loopOver = (P: number, END_AT: number, body: number[]) => [BLOCK, EMPTY, LOOP, EMPTY, ...get(P), ...get(END_AT), GE_U, BR_IF, 1, ...body, BR, 0, END, END];

  const [P, END_AT, COUNTS, HIGH, MAX] = [0, 1, 2, 3, 4];
  const histogram = [
    ...loopOver(P, END_AT, [
      ...get(P), ...LOAD, ...constant(16), SHR_U, ...set(HIGH),
      ...get(HIGH), ...get(MAX), ...get(HIGH), ...get(MAX), GT_U, SELECT, ...set(MAX),
      ...get(COUNTS), ...get(HIGH), ...constant(2), SHL, ADD, ...set(HIGH),
      ...get(HIGH), ...get(HIGH), ...LOAD, ...constant(1), ADD, ...STORE,
      ...plus(P, 4),
    ]),
    ...get(MAX), END,
  ];

  const [BUCKET, BEST, TIED, BITS, ROW] = [2, 3, 4, 5, 6];
  const high = [...get(BITS), ...constant(16), SHR_U];
  const key = [
    ...constant(0xffff), ...get(BITS), ...constant(0xffff), AND, SUB, I64_EXTEND_I32_U, 0x42, 32, I64_SHL,
    ...get(ROW), I64_EXTEND_I32_U, I64_OR, F64_CONVERT_I64_U,
  ];
  const split = [
    ...loopOver(P, END_AT, [
      ...get(P), ...LOAD, ...set(BITS),
      ...high, ...get(BUCKET), GT_U, IF, EMPTY,
      ...get(BEST), ...get(ROW), ...STORE, ...plus(BEST, 4),
      ELSE,
      ...high, ...get(BUCKET), EQ, IF, EMPTY, ...get(TIED), ...key, ...F64_STORE, ...plus(TIED, 8), END,
      END,
      ...plus(P, 4), ...plus(ROW, 1),
    ]),
    END,
  ];
  const OUT = 2;
  const gather = [
    ...loopOver(P, END_AT, [...get(OUT), ...get(P), ...LOAD, ...constant(2), SHL, ...LOAD, ...STORE, ...plus(P, 4), ...plus(OUT, 4)]),
    END,
  ];
  return (compiled ??= new webAssembly.Module(
    moduleWithMemory(
      [
        { name: 'histogram', params: [I32, I32, I32], results: [I32], locals: [[2, I32]], body: histogram },
        { name: 'split', params: [I32, I32, I32, I32, I32], results: [], locals: [[2, I32]], body: split },
        { name: 'gather', params: [I32, I32, I32], results: [], locals: [], body: gather },
        zeroFunction(),
      ],
      true,
    ),
  ));
}

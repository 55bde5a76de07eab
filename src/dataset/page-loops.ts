/**
 * The own parquet reader's memory (hysnappy's WebAssembly memory: a column chunk is read into it and each page is
 * decompressed there) and the loops over a page's values, which run in that memory: wasm/page-loops.c, built by
 * tools/build-page-loops-wasm.sh, a module that imports hysnappy's memory.
 *
 * Why WebAssembly: every thread that decodes (the loader's ids on the main thread, each BM25 analysis worker's
 * texts) had V8's optimizing compiler compile each JavaScript loop over a page's values for itself, on V8's
 * background threads, and that compiling cost more CPU than the loops' own run: on the load bench's biology-sized
 * file ~50 ms of ~170 ms (with --no-opt the main thread and the workers took the same CPU, V8's threads 65 -> 8 ms).
 * A WebAssembly module is compiled once per process (V8 shares compiled modules between threads), and its code is
 * fast from the first call.
 */
import { Buffer } from 'node:buffer';
import { snappyUncompressor } from 'hysnappy';
import { growMemory, webAssembly, type WasmMemory, type WasmModule } from '../core/wasm-module.js';
import { PAGE_LOOPS_WASM } from './generated/page-loops-wasm.js';

interface SnappyExports {
  memory: WasmMemory;
  uncompress(input: number, inputLength: number, output: number): number;
}

/** wasm/page-loops.c's functions; `page` is 0, the memory's start (addresses are offsets from it). */
interface LoopsExports {
  value_spans(page: number, at: number, end: number, count: number, spans: number): number;
  move_together(page: number, spans: number, count: number, ends: number, shift: number): number;
  largest(values: number, count: number): number;
  run_end(indices: number, count: number, next: number): number;
  read_indices(page: number, at: number, end: number, width: number, out: number, count: number): number;
}

/** Bytes of scratch memory a page of `values` values needs (value_spans's starts and lengths, then the ends). */
export const scratchBytes = (values: number): number => 12 * values;

/** The memory and its loops; one per thread. */
export class PageLoops {
  /** The memory's bytes: replaced when the memory grows (the old buffer is detached). */
  heap: Buffer;

  constructor(
    private readonly memory: WasmMemory,
    readonly uncompress: SnappyExports['uncompress'],
    private readonly loops: LoopsExports,
  ) {
    this.heap = Buffer.from(memory.buffer);
  }

  /** Grows the memory until it holds `bytes`; true when it grew (`heap` is then new, and every view of the old). */
  room(bytes: number): boolean {
    if (bytes <= this.memory.buffer.byteLength) return false;
    growMemory(this.memory, bytes);
    this.heap = Buffer.from(this.memory.buffer);
    return true;
  }

  /**
   * Where each of the `count` PLAIN byte arrays (a 4-byte little-endian length, then the bytes) at `page[at, end)`
   * starts and how long it is, as views of `scratch`'s memory (valid until the memory grows); their length
   * prefixes are zeroed in the page. `page` is `heap` (the loops read and write this memory). Throws when the page
   * ends before a value does.
   */
  valueSpans(page: Buffer, at: number, end: number, count: number, scratch: number): { starts: Int32Array; lengths: Int32Array } {
    if (page.buffer !== this.memory.buffer || page.byteOffset !== 0) throw new Error('page loops: a page outside their memory');
    if (this.loops.value_spans(0, at, end, count, scratch) !== 0) throw new Error('parquet PLAIN byte array truncated');
    return { starts: new Int32Array(this.memory.buffer, scratch, count), lengths: new Int32Array(this.memory.buffer, scratch + 4 * count, count) };
  }

  /**
   * Moves the `count` values that `valueSpans` found at `scratch` one after the other from the first one's start,
   * each over its predecessor's length prefix and less a leading byte-order mark (as TextDecoder drops it); returns
   * where the last one ends, and where each ends (plus `shift`) as a view valid until the memory grows or the next
   * call.
   */
  moveTogether(scratch: number, count: number, shift: number): { to: number; ends: Uint32Array } {
    const endsAt = scratch + 8 * count;
    const to = this.loops.move_together(0, scratch, count, endsAt, shift >>> 0);
    return { to, ends: new Uint32Array(this.memory.buffer, endsAt, count) };
  }

  /**
   * Decodes `out.length` (> 0) dictionary indices `width` bits wide (1 to MAX_INDEX_WIDTH) at `heap[at, end)` into
   * `out`, a view of this memory, exactly as hyparquet's readRleBitPackedHybrid does; returns the largest.
   */
  readIndices(at: number, end: number, width: number, out: Uint32Array): number {
    const largest = this.loops.read_indices(0, at, end, width, this.address(out), out.length);
    if (largest < 0) throw new Error('parquet dictionary indices truncated');
    return largest;
  }

  /** The largest of `values` (a view of this memory); -1 when there is none. */
  largest(values: Uint32Array): number {
    return this.loops.largest(this.address(values), values.length);
  }

  /** How far from `next` the run of `indices` (a view of this memory) that are consecutive entries goes (exclusive). */
  runEnd(indices: Uint32Array, next: number): number {
    return this.loops.run_end(this.address(indices), indices.length, next);
  }

  private address(view: Uint32Array): number {
    if (view.buffer !== this.memory.buffer) throw new Error('page loops: a view of another memory');
    return view.byteOffset;
  }
}

/** Widest dictionary indices `readIndices` takes: a value and the next byte then fit in 32 bits. */
export const MAX_INDEX_WIDTH = 24;

let loops: PageLoops | undefined;

/** This thread's memory and loops, made on first use. */
export function pageLoops(): PageLoops {
  if (loops) return loops;
  const snappy = snappyExports();
  const compiled = new webAssembly.Module(Buffer.from(PAGE_LOOPS_WASM, 'base64'));
  const own = new webAssembly.Instance(compiled, { env: { memory: snappy.memory } }).exports as unknown as LoopsExports;
  loops = new PageLoops(snappy.memory, snappy.uncompress, own);
  return loops;
}

/**
 * hysnappy's WebAssembly instance: hysnappy does not export it, so the constructor is observed while
 * `snappyUncompressor()` instantiates it (synchronously); nothing else runs in between.
 */
function snappyExports(): SnappyExports {
  const Original = webAssembly.Instance;
  let captured: { exports: Record<string, unknown> } | undefined;
  const Observing = function (module: WasmModule, imports: Record<string, Record<string, unknown>>) {
    captured = new Original(module, imports);
    return captured;
  };
  webAssembly.Instance = Observing as unknown as typeof Original;
  try {
    snappyUncompressor();
  } finally {
    webAssembly.Instance = Original;
  }
  const exports = captured?.exports as Partial<SnappyExports> | undefined;
  if (!exports?.memory || typeof exports.uncompress !== 'function') throw new Error('hysnappy: WebAssembly instance not found');
  return exports as SnappyExports;
}

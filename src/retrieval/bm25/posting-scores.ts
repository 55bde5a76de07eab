import { prefault } from '../../core/prefault.js';
import { CONTROL, F32, F64, I32, V128, localGet as get, localSet as set, growMemory, moduleWithMemory, sharedMemory, webAssembly, zeroFunction, type SharedWasmMemory, type WasmMemory, type WasmModule } from '../../core/wasm-module.js';

/**
 * BM25 document scores summed in WebAssembly memory, with the document weights of the terms queries use beside them.
 *
 * Scoring is one float32 multiply-add per posting of every query term (~38M for the biology-sized bench's 103
 * queries), and each term's document weights are computed once (~1.75M there). JavaScript has no float32
 * arithmetic: each posting cost a float32 load widened to double, a product rounded back (Math.fround), a sum rounded
 * by the float32 store, and bounds checks; WebAssembly's f32.mul and f32.add do the same rounding in one instruction
 * each, and its loop ran ~2.5x faster here. The results are the same bits: the product of two float32 values is
 * exact in double, so rounding it once to float32 is f32.mul's correctly rounded product, and a double sum of two
 * float32 values rounded to float32 equals f32.add's (double has more than twice float32's precision plus two bits,
 * which makes double rounding innocuous for + and *). The weights are gensim's float64 expression, the same IEEE
 * operations in the same order, rounded to float32 by f32.demote_f64 as a Float32Array store rounds.
 *
 * Memory layout: the scores (float32, one per document) from byte 0; room for one term's document rows and term
 * frequencies; the documents' length norms (float64); then the terms' weights (float32), each term's block appended
 * when its weights are first computed. WebAssembly reads only its own memory, so in fresh memory a term's rows are
 * copied into that room each time it is added (a memcpy of at most 4 bytes per document, into memory touched once):
 * keeping every used term's rows beside its weights would touch 50 % more fresh pages, and a first touch costs
 * ~12 µs per 4 KiB page on the 2-core VM, more than a copy of the page. In a memory given (a finished analyzer's,
 * its pages touched already) each block keeps its term's rows after its weights instead, copied once.
 *
 * A term in at least a quarter of the documents (biology-sized: 16 terms, ~28M of the ~38M adds) gets a dense
 * block instead, one weight per document, zero where it does not occur, added to all the scores four at a time with
 * WebAssembly SIMD (~0.14 ns per document here against ~0.56 per posting for the scatter). The same bits: a
 * document without the term gets score + (0 * q) = score, as q is finite and a score is never -0 (it starts at +0
 * and sums non-negative products, and an exact zero sum is +0); f32x4.mul and f32x4.add round each lane as f32.mul
 * and f32.add do. The scores region is padded to whole vectors.
 */
export class PostingScores {
  private readonly memory: WasmMemory | SharedWasmMemory;
  private readonly kernels: Kernels;
  private readonly rowBytes: 2 | 4;
  /** Byte offsets of the rooms and of the norms. */
  private readonly rowsAt: number;
  private readonly tfsAt: number;
  private readonly normsAt: number;
  /** Bytes of the memory in use. */
  private used: number;
  /** Whether each block keeps its term's rows (a memory given) rather than the room receiving them per `add`. */
  readonly keepsRows: boolean;
  /** The block whose rows the room holds (-1: none), so that an `add` right after `weigh` does not copy them again. */
  private roomHolds = -1;
  /** Adds a dense block's products to every score; null where the engine has no SIMD (every block is sparse). */
  private readonly addDense: ((scores: number, end: number, weights: number, queryWeight: number) => void) | null;
  /** Adds two dense blocks' products to every score in one pass, the first block's before the second's. */
  private readonly addDenseTwoKernel: ((scores: number, end: number, first: number, firstWeight: number, second: number, secondWeight: number) => void) | null;
  /** Bytes of the scores region and of a dense block: numDocs float32 values, padded to whole 16-byte vectors. */
  private readonly denseBytes: number;
  /** Prefaults (see `prefault`) still writing into the memory. */
  private prefaulting = 0;
  private views!: { scores: Float32Array; rows: Uint16Array | Uint32Array; tfs: Uint32Array; norms: Float64Array };

  /**
   * `memory`: one to lay all this out in instead of a fresh one, e.g. a finished analyzer's, taken to be touched
   * already (the blocks then keep their rows); grown when smaller. Its contents are never read before written here:
   * the scores are cleared per query (`clearScores`), the rooms, norms, weights and rows are written before the
   * kernels read them. Without one, a fresh shared memory (core/wasm-module.ts `sharedMemory`: V8 counts an unshared
   * one's ~10 MB of a cached biology-sized search against its heap's limit), which JavaScript then writes only
   * through kernels, copies and the pool (V8 fills a typed array on a SharedArrayBuffer element by element).
   */
  constructor(readonly numDocs: number, memory?: WasmMemory) {
    this.rowBytes = numDocs <= 0x10000 ? 2 : 4;
    this.keepsRows = memory !== undefined;
    this.denseBytes = Math.ceil(numDocs / 4) * 16;
    // each room ROOM_SLACK bytes longer, for the shift of `roomAt`
    this.rowsAt = this.denseBytes;
    this.tfsAt = align8(this.rowsAt + 4 * numDocs + ROOM_SLACK);
    this.normsAt = align8(this.tfsAt + 4 * numDocs + ROOM_SLACK);
    this.used = this.normsAt + 8 * numDocs;
    this.memory = memory ?? sharedMemory(this.used);
    growMemory(this.memory, this.used);
    const shared = memory === undefined;
    const exports = new webAssembly.Instance(postingModule(shared), { m: { memory: this.memory } }).exports;
    const width = this.rowBytes === 2 ? '16' : '32';
    this.kernels = {
      add: exports[`add${width}`] as Kernels['add'],
      weigh: exports[`weigh${width}`] as Kernels['weigh'],
      weighDense: exports[`weighDense${width}`] as Kernels['weighDense'],
      norms: exports.norms as Kernels['norms'],
      zero: exports.zero as Kernels['zero'],
    };
    const simd = simdModule(shared);
    const dense = simd === null ? null : new webAssembly.Instance(simd, { m: { memory: this.memory } }).exports;
    this.addDense = dense === null ? null : (dense.addDense as PostingScores['addDense']);
    this.addDenseTwoKernel = dense === null ? null : (dense.addDenseTwo as PostingScores['addDenseTwoKernel']);
    this.refresh();
  }

  /** Sets every score to +0, before a query's postings are added. */
  clearScores(): void {
    this.kernels.zero(0, this.denseBytes);
  }

  /** The scores, as the last query's postings left them (the view changes when the memory grows). */
  get scores(): Float32Array {
    return this.views.scores;
  }

  /** Each document's length norm, for the caller to fill (or `fillNorms`) before the first `weigh`. */
  get norms(): Float64Array {
    return this.views.norms;
  }

  /**
   * Fills the norms with k1 * ((1 - b) + (b * length) / avgdl) for each document's length: the expression of
   * LuceneBm25Model's lengthNorm, the same IEEE double operations in the same order, so the same bits. In
   * JavaScript, a corpus-sized loop ran mostly before the optimizing compiler and boxed every intermediate double
   * (~0.8 MB of heap numbers for biology-sized).
   */
  fillNorms(docLengths: Uint32Array, k1: number, b: number, avgdl: number): void {
    // the tf room holds one u32 per document
    const lengthsAt = this.roomAt(this.tfsAt, 4, docLengths, 0);
    this.views.tfs.set(docLengths, lengthsAt / 4);
    this.kernels.norms(lengthsAt, lengthsAt + 4 * docLengths.length, this.normsAt, k1, 1 - b, b, avgdl);
  }

  /**
   * A new block of a term's weights, idf * (tf / (tf + norm of the row)) rounded to float32, for its `count` rows
   * `rows[start ..]` with term frequencies `tfs[start ..]`; returns where it starts.
   */
  weigh(count: number, idf: number, rows: Uint16Array | Uint32Array, tfs: Uint8Array | Uint16Array | Uint32Array, start: number): number {
    return this.weighInto(this.block(count), count, idf, rows, tfs, start);
  }

  /**
   * A new block for a term's `count` weights, to be filled by `weighInto`; returns where it starts. `grow` false:
   * the memory is not grown to hold it yet, `growToEnd` must be called before anything touches it (several blocks
   * laid out at once then grow the memory once, to the bytes they take, rather than by doubling).
   */
  block(count: number, grow = true): number {
    if (this.isDense(count)) return this.reserve(this.denseBytes, 16, grow);
    return this.reserve(this.keepsRows ? 4 * count + this.rowBytes * count : 4 * count, 4, grow);
  }

  /** Grows the memory to hold every block made (exactly: whole pages), after `block(count, false)`. */
  growToEnd(): void {
    if (this.used > this.memory.buffer.byteLength) this.grow(this.used);
  }

  /** Whether a term of `count` postings gets a dense block (one weight per document). */
  isDense(count: number): boolean {
    return this.addDense !== null && count > 0 && 4 * count >= this.numDocs;
  }

  /** `weigh` into block `at`, made by `block(count)`; returns `at`. */
  weighInto(at: number, count: number, idf: number, rows: Uint16Array | Uint32Array, tfs: Uint8Array | Uint16Array | Uint32Array, start: number): number {
    const tfsAt = this.roomAt(this.tfsAt, 4, tfs, start);
    this.views.tfs.set(tfs.subarray(start, start + count), tfsAt / 4);
    if (this.isDense(count)) {
      const rowsAt = this.roomAt(this.rowsAt, this.rowBytes, rows, start);
      this.views.rows.set(rows.subarray(start, start + count), rowsAt / this.rowBytes);
      // prefaulted or reused bytes: every document without the term must weigh +0
      this.kernels.zero(at, at + this.denseBytes);
      this.kernels.weighDense(rowsAt, rowsAt + this.rowBytes * count, tfsAt, this.normsAt, at, idf);
      this.roomHolds = -1;
      return at;
    }
    const rowsAt = this.keepsRows ? at + 4 * count : this.roomAt(this.rowsAt, this.rowBytes, rows, start);
    this.views.rows.set(rows.subarray(start, start + count), rowsAt / this.rowBytes);
    this.kernels.weigh(at, at + 4 * count, rowsAt, tfsAt, this.normsAt, idf);
    // a term without postings takes no bytes: the next block starts at the same offset
    this.roomHolds = this.keepsRows || count === 0 ? -1 : at;
    return at;
  }

  /** Where the next block would start: the end of those made so far. */
  get end(): number {
    return this.used;
  }

  /**
   * Has the thread pool write the blocks' bytes from `from` to `to` (core/prefault.ts), so that weighing into them
   * takes no page faults on this thread; nothing may touch those bytes until the promise resolves, and the memory
   * does not grow meanwhile (a block that would grow it throws).
   */
  async prefault(from: number, to: number): Promise<void> {
    if (to <= from) return;
    this.prefaulting++;
    try {
      await prefault(new Uint8Array(this.memory.buffer, from, to - from));
    } finally {
      this.prefaulting--;
    }
  }

  /**
   * Adds the products weight * queryWeight (float32) of block `at`'s `count` weights to the scores of their rows, the
   * term's `rows[start ..]` (those `weigh` was given).
   */
  add(at: number, count: number, queryWeight: number, rows: Uint16Array | Uint32Array, start: number): void {
    if (count === 0) return;
    if (this.isDense(count)) {
      checkDenseWeight(queryWeight);
      this.addDense!(0, this.denseBytes, at, queryWeight);
      return;
    }
    let rowsAt = at + 4 * count;
    if (!this.keepsRows) {
      rowsAt = this.roomAt(this.rowsAt, this.rowBytes, rows, start);
      if (this.roomHolds !== at) this.views.rows.set(rows.subarray(start, start + count), rowsAt / this.rowBytes);
      this.roomHolds = at;
    }
    this.kernels.add(at, at + 4 * count, rowsAt, queryWeight);
  }

  /**
   * Where in the room at `room` (of `width`-byte elements) `array[start ..]` is copied: as far past its start as
   * the source lies past an 8-byte boundary, when the two have the same width. An index's arrays lie on
   * SharedArrayBuffers (a built index's, a cache file's), and V8 copies out of one with a relaxed memmove, word by
   * word where source and destination are alike aligned but byte by byte otherwise (~4 instructions a byte: ~117M
   * of a cached biology-sized run's ~3.4G, the rows of every sparse term added being copied per query).
   */
  private roomAt(room: number, width: number, array: Uint8Array | Uint16Array | Uint32Array, start: number): number {
    return array.BYTES_PER_ELEMENT === width ? room + ((array.byteOffset + start * width) % ROOM_SLACK) : room;
  }

  /**
   * `add` of two dense blocks (both of `isDense` terms) in one pass: each score gets `first`'s product, then
   * `second`'s, each rounded to float32 as two adds in that order round them, but the scores are read and written
   * once instead of twice. Dense terms are the corpus's most frequent words, so the lowest term ids, and a query's
   * often come in runs (biology-sized: 914 dense adds of ~38M products' 52M lanes, in 396 runs).
   */
  addDenseTwo(first: number, firstWeight: number, second: number, secondWeight: number): void {
    checkDenseWeight(firstWeight);
    checkDenseWeight(secondWeight);
    this.addDenseTwoKernel!(0, this.denseBytes, first, firstWeight, second, secondWeight);
  }

  /** `bytes` more from the end of the blocks, the block starting `alignment`-byte aligned (4: float32 weights). */
  private reserve(bytes: number, alignment: number, grow: boolean): number {
    const at = Math.ceil(this.used / alignment) * alignment;
    const end = at + Math.ceil(bytes / 4) * 4;
    const size = this.memory.buffer.byteLength;
    // at least doubling: a few grows per run
    if (grow && end > size) this.grow(Math.max(end, 2 * size));
    this.used = end;
    return at;
  }

  /** Grows the memory to `bytes` (whole pages): never while the thread pool writes into it (`prefault`). */
  private grow(bytes: number): void {
    if (this.prefaulting > 0) throw new Error('PostingScores: the memory would grow while the thread pool writes into it');
    growMemory(this.memory, bytes);
    this.refresh();
  }

  private refresh(): void {
    const { buffer } = this.memory;
    this.views = {
      scores: new Float32Array(buffer, 0, this.numDocs),
      rows: this.rowBytes === 2 ? new Uint16Array(buffer) : new Uint32Array(buffer),
      tfs: new Uint32Array(buffer),
      norms: new Float64Array(buffer, this.normsAt, this.numDocs),
    };
  }
}

interface Kernels {
  add(weights: number, end: number, rows: number, queryWeight: number): void;
  weigh(weights: number, end: number, rows: number, tfs: number, norms: number, idf: number): void;
  weighDense(rows: number, end: number, tfs: number, norms: number, weights: number, idf: number): void;
  norms(lengths: number, end: number, norms: number, k1: number, oneMinusB: number, b: number, avgdl: number): void;
  /** Zeroes bytes [at, end). */
  zero(at: number, end: number): void;
}

/** A dense block adds q * weight to every score: 0 * q must be a zero for the documents without the term. */
function checkDenseWeight(queryWeight: number): void {
  if (!Number.isFinite(queryWeight)) throw new Error(`PostingScores: query weight ${queryWeight} is not finite`);
}

const align8 = (bytes: number) => Math.ceil(bytes / 8) * 8;

/** Bytes a room's copy may start past the room's start (`roomAt`): a word of V8's relaxed memmove. */
const ROOM_SLACK = 8;

/** `local += bytes`: a pointer's step to its next element (i32.const, i32.add). */
const step = (local: number, bytes: number) => [...get(local), 0x41, bytes, 0x6a, ...set(local)];

/** Loads a row number of `rowBytes` bytes: i32.load16_u or i32.load (alignment, offset 0). */
const loadRowOf = (rowBytes: 2 | 4) => (rowBytes === 2 ? [0x2f, 1, 0] : [0x28, 2, 0]);

/** The memory and number instructions of the weighing kernels (weigh, weighDense). */
const WEIGH_OPS = {
  I32_LOAD: [0x28, 2, 0],
  F64_LOAD: [0x2b, 3, 0],
  F32_STORE: [0x38, 2, 0],
  I32_ADD: 0x6a,
  I32_SHL: 0x74,
  I32_GE_U: 0x4f,
  F64_ADD: 0xa0,
  F64_MUL: 0xa2,
  F64_DIV: 0xa3,
  F64_CONVERT_I32_U: 0xb8,
  F32_DEMOTE_F64: 0xb6,
} as const;

/** The kernels' module, compiled for an unshared memory (one given) or a shared one (`shared`), once each. */
const compiled = new Map<boolean, WasmModule>();

export function postingModule(shared = false): WasmModule {
  let module = compiled.get(shared);
  if (module === undefined) {
    const functions = [addFunction('add16', 2), addFunction('add32', 4), weighFunction('weigh16', 2), weighFunction('weigh32', 4), weighDenseFunction('weighDense16', 2), weighDenseFunction('weighDense32', 4), normsFunction(), zeroFunction()];
    compiled.set(shared, (module = new webAssembly.Module(moduleWithMemory(functions, shared))));
  }
  return module;
}

/**
 * add16 / add32 (16- or 32-bit rows), in the text format (scores from byte 0, so a row's score is at row * 4):
 *
 *   (func (param $w i32) (param $end i32) (param $row i32) (param $q f32) (local $at i32)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
 *       (local.set $at (i32.shl (i32.load16_u (local.get $row)) (i32.const 2)))      ;; i32.load for add32
 *       (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.mul (f32.load (local.get $w)) (local.get $q))))
 *       (local.set $w (i32.add (local.get $w) (i32.const 4)))
 *       (local.set $row (i32.add (local.get $row) (i32.const 2)))                    ;; 4 for add32
 *       (br $next))))
 */
function addFunction(name: string, rowBytes: 2 | 4) {
  const [W, END, ROW, Q, AT] = [0, 1, 2, 3, 4];
  const { BLOCK, LOOP, BR, BR_IF, END: END_OP, EMPTY } = CONTROL;
  const loadRow = rowBytes === 2 ? [0x2f, 1, 0] : [0x28, 2, 0]; // i32.load16_u / i32.load, alignment, offset 0
  const [F32_LOAD, F32_STORE, F32_ADD, F32_MUL] = [[0x2a, 2, 0], [0x38, 2, 0], 0x92, 0x94];
  const [I32_CONST, I32_ADD, I32_SHL, I32_GE_U] = [0x41, 0x6a, 0x74, 0x4f];
  const body = [
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(W), ...get(END), I32_GE_U, BR_IF, 1,
    ...get(ROW), ...loadRow, I32_CONST, 2, I32_SHL, ...set(AT),
    ...get(AT), ...get(AT), ...F32_LOAD, ...get(W), ...F32_LOAD, ...get(Q), F32_MUL, F32_ADD, ...F32_STORE,
    ...get(W), I32_CONST, 4, I32_ADD, ...set(W),
    ...get(ROW), I32_CONST, rowBytes, I32_ADD, ...set(ROW),
    BR, 0,
    END_OP, END_OP, END_OP,
  ];
  return { name, params: [I32, I32, I32, F32], results: [], locals: [[1, I32]] as Array<[number, number]>, body };
}

/**
 * weigh16 / weigh32, in the text format:
 *
 *   (func (param $w i32) (param $end i32) (param $row i32) (param $tf i32) (param $norms i32) (param $idf f64)
 *     (local $t f64)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
 *       (local.set $t (f64.convert_i32_u (i32.load (local.get $tf))))
 *       (f32.store (local.get $w) (f32.demote_f64 (f64.mul (local.get $idf) (f64.div (local.get $t)
 *         (f64.add (local.get $t) (f64.load (i32.add (local.get $norms)
 *           (i32.shl (i32.load16_u (local.get $row)) (i32.const 3))))))))) ;; i32.load for weigh32
 *       (local.set $w (i32.add (local.get $w) (i32.const 4)))
 *       (local.set $row (i32.add (local.get $row) (i32.const 2)))                  ;; 4 for weigh32
 *       (local.set $tf (i32.add (local.get $tf) (i32.const 4)))
 *       (br $next))))
 */
function weighFunction(name: string, rowBytes: 2 | 4) {
  const [W, END, ROW, TF, NORMS, IDF, T] = [0, 1, 2, 3, 4, 5, 6];
  const { BLOCK, LOOP, BR, BR_IF, END: END_OP, EMPTY } = CONTROL;
  const loadRow = loadRowOf(rowBytes);
  const { I32_LOAD, F64_LOAD, F32_STORE, I32_ADD, I32_SHL, I32_GE_U, F64_ADD, F64_MUL, F64_DIV, F64_CONVERT_I32_U, F32_DEMOTE_F64 } = WEIGH_OPS;
  const body = [
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(W), ...get(END), I32_GE_U, BR_IF, 1,
    ...get(TF), ...I32_LOAD, F64_CONVERT_I32_U, ...set(T),
    ...get(W),
    ...get(IDF), ...get(T), ...get(T), ...get(NORMS), ...get(ROW), ...loadRow, 0x41, 3, I32_SHL, I32_ADD, ...F64_LOAD, F64_ADD, F64_DIV, F64_MUL,
    F32_DEMOTE_F64, ...F32_STORE,
    ...step(W, 4), ...step(ROW, rowBytes), ...step(TF, 4),
    BR, 0,
    END_OP, END_OP, END_OP,
  ];
  return { name, params: [I32, I32, I32, I32, I32, F64], results: [], locals: [[1, F64]] as Array<[number, number]>, body };
}

/**
 * norms, in the text format (1 - b is computed by the caller, as the JavaScript expression does first):
 *
 *   (func (param $len i32) (param $end i32) (param $norm i32) (param $k1 f64) (param $oneMinusB f64) (param $b f64)
 *     (param $avgdl f64)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $len) (local.get $end)))
 *       (f64.store (local.get $norm) (f64.mul (local.get $k1) (f64.add (local.get $oneMinusB)
 *         (f64.div (f64.mul (local.get $b) (f64.convert_i32_u (i32.load (local.get $len)))) (local.get $avgdl)))))
 *       (local.set $len (i32.add (local.get $len) (i32.const 4)))
 *       (local.set $norm (i32.add (local.get $norm) (i32.const 8)))
 *       (br $next))))
 */
function normsFunction() {
  const [LEN, END, NORM, K1, ONE_MINUS_B, B, AVGDL] = [0, 1, 2, 3, 4, 5, 6];
  const { BLOCK, LOOP, BR, BR_IF, END: END_OP, EMPTY } = CONTROL;
  const [I32_LOAD, F64_STORE] = [[0x28, 2, 0], [0x39, 3, 0]];
  const [I32_GE_U, F64_ADD, F64_MUL, F64_DIV, F64_CONVERT_I32_U] = [0x4f, 0xa0, 0xa2, 0xa3, 0xb8];
  const body = [
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(LEN), ...get(END), I32_GE_U, BR_IF, 1,
    ...get(NORM),
    ...get(K1), ...get(ONE_MINUS_B), ...get(B), ...get(LEN), ...I32_LOAD, F64_CONVERT_I32_U, F64_MUL, ...get(AVGDL), F64_DIV, F64_ADD, F64_MUL,
    ...F64_STORE,
    ...step(LEN, 4), ...step(NORM, 8),
    BR, 0,
    END_OP, END_OP, END_OP,
  ];
  return { name: 'norms', params: [I32, I32, I32, F64, F64, F64, F64], results: [], locals: [] as Array<[number, number]>, body };
}

/**
 * weighDense16 / weighDense32: weigh's expression, each weight stored at its row's place in a dense block:
 *
 *   (func (param $row i32) (param $end i32) (param $tf i32) (param $norms i32) (param $w i32) (param $idf f64)
 *     (local $t f64) (local $r i32)
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
 *       (local.set $r (i32.load16_u (local.get $row)))                              ;; i32.load for weighDense32
 *       (local.set $t (f64.convert_i32_u (i32.load (local.get $tf))))
 *       (f32.store (i32.add (local.get $w) (i32.shl (local.get $r) (i32.const 2)))
 *         (f32.demote_f64 (f64.mul (local.get $idf) (f64.div (local.get $t) (f64.add (local.get $t)
 *           (f64.load (i32.add (local.get $norms) (i32.shl (local.get $r) (i32.const 3)))))))))
 *       (local.set $row (i32.add (local.get $row) (i32.const 2)))                  ;; 4 for weighDense32
 *       (local.set $tf (i32.add (local.get $tf) (i32.const 4)))
 *       (br $next))))
 */
function weighDenseFunction(name: string, rowBytes: 2 | 4) {
  const [ROW, END, TF, NORMS, W, IDF, T, R] = [0, 1, 2, 3, 4, 5, 6, 7];
  const { BLOCK, LOOP, BR, BR_IF, END: END_OP, EMPTY } = CONTROL;
  const loadRow = loadRowOf(rowBytes);
  const { I32_LOAD, F64_LOAD, F32_STORE, I32_ADD, I32_SHL, I32_GE_U, F64_ADD, F64_MUL, F64_DIV, F64_CONVERT_I32_U, F32_DEMOTE_F64 } = WEIGH_OPS;
  const body = [
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(ROW), ...get(END), I32_GE_U, BR_IF, 1,
    ...get(ROW), ...loadRow, ...set(R),
    ...get(TF), ...I32_LOAD, F64_CONVERT_I32_U, ...set(T),
    ...get(W), ...get(R), 0x41, 2, I32_SHL, I32_ADD,
    ...get(IDF), ...get(T), ...get(T), ...get(NORMS), ...get(R), 0x41, 3, I32_SHL, I32_ADD, ...F64_LOAD, F64_ADD, F64_DIV, F64_MUL,
    F32_DEMOTE_F64, ...F32_STORE,
    ...step(ROW, rowBytes), ...step(TF, 4),
    BR, 0,
    END_OP, END_OP, END_OP,
  ];
  return { name, params: [I32, I32, I32, I32, I32, F64], results: [], locals: [[1, F64], [1, I32]] as Array<[number, number]>, body };
}

const simdCompiled = new Map<boolean, WasmModule | null>();

/** The dense adds, where the engine validates WebAssembly SIMD (Node >= 16.4 does); null otherwise. `shared` as postingModule's. */
export function simdModule(shared = false): WasmModule | null {
  let module = simdCompiled.get(shared);
  if (module === undefined) {
    const bytes = moduleWithMemory([addDenseFunction(), addDenseTwoFunction()], shared);
    simdCompiled.set(shared, (module = webAssembly.validate(bytes) ? new webAssembly.Module(bytes) : null));
  }
  return module;
}

/** The SIMD opcodes the dense adds use (prefix 0xfd, then the opcode and, for memory, its alignment and offset). */
const SIMD = 0xfd;
const [V128_LOAD, V128_STORE, F32X4_SPLAT, F32X4_ADD, F32X4_MUL] = [[SIMD, 0x00, 4, 0], [SIMD, 0x0b, 4, 0], [SIMD, 0x13], [SIMD, 0xe4, 0x01], [SIMD, 0xe6, 0x01]];

/**
 * addDense, in the text format (16-byte vectors of four float32 scores and four weights):
 *
 *   (func (param $s i32) (param $end i32) (param $w i32) (param $q f32) (local $qs v128)
 *     (local.set $qs (f32x4.splat (local.get $q)))
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
 *       (v128.store (local.get $s) (f32x4.add (v128.load (local.get $s)) (f32x4.mul (v128.load (local.get $w)) (local.get $qs))))
 *       (local.set $s (i32.add (local.get $s) (i32.const 16)))
 *       (local.set $w (i32.add (local.get $w) (i32.const 16)))
 *       (br $next))))
 */
function addDenseFunction() {
  const [S, END, W, Q, QS] = [0, 1, 2, 3, 4];
  const { BLOCK, LOOP, BR, BR_IF, END: END_OP, EMPTY } = CONTROL;
  const body = [
    ...get(Q), ...F32X4_SPLAT, ...set(QS),
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(S), ...get(END), 0x4f, BR_IF, 1, // i32.ge_u
    ...get(S), ...get(S), ...V128_LOAD, ...get(W), ...V128_LOAD, ...get(QS), ...F32X4_MUL, ...F32X4_ADD, ...V128_STORE,
    ...step(S, 16), ...step(W, 16),
    BR, 0,
    END_OP, END_OP, END_OP,
  ];
  return { name: 'addDense', params: [I32, I32, I32, F32], results: [], locals: [[1, V128]] as Array<[number, number]>, body };
}

/**
 * addDenseTwo, in the text format: addDense's step for two blocks, the first one's product added first:
 *
 *   (func (param $s i32) (param $end i32) (param $w i32) (param $q f32) (param $w2 i32) (param $q2 f32)
 *     (local $qs v128) (local $qs2 v128)
 *     (local.set $qs (f32x4.splat (local.get $q))) (local.set $qs2 (f32x4.splat (local.get $q2)))
 *     (block $done (loop $next
 *       (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
 *       (v128.store (local.get $s) (f32x4.add (f32x4.add (v128.load (local.get $s))
 *         (f32x4.mul (v128.load (local.get $w)) (local.get $qs))) (f32x4.mul (v128.load (local.get $w2)) (local.get $qs2))))
 *       (local.set $s (i32.add (local.get $s) (i32.const 16)))
 *       (local.set $w (i32.add (local.get $w) (i32.const 16)))
 *       (local.set $w2 (i32.add (local.get $w2) (i32.const 16)))
 *       (br $next))))
 */
function addDenseTwoFunction() {
  const [S, END, W, Q, W2, Q2, QS, QS2] = [0, 1, 2, 3, 4, 5, 6, 7];
  const { BLOCK, LOOP, BR, BR_IF, END: END_OP, EMPTY } = CONTROL;
  const body = [
    ...get(Q), ...F32X4_SPLAT, ...set(QS),
    ...get(Q2), ...F32X4_SPLAT, ...set(QS2),
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(S), ...get(END), 0x4f, BR_IF, 1, // i32.ge_u
    ...get(S),
    ...get(S), ...V128_LOAD, ...get(W), ...V128_LOAD, ...get(QS), ...F32X4_MUL, ...F32X4_ADD,
    ...get(W2), ...V128_LOAD, ...get(QS2), ...F32X4_MUL, ...F32X4_ADD,
    ...V128_STORE,
    ...step(S, 16), ...step(W, 16), ...step(W2, 16),
    BR, 0,
    END_OP, END_OP, END_OP,
  ];
  return { name: 'addDenseTwo', params: [I32, I32, I32, F32, I32, F32], results: [], locals: [[2, V128]] as Array<[number, number]>, body };
}

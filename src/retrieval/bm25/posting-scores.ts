import { F32, I32, moduleWithMemory, WASM_PAGE, webAssembly, type WasmMemory, type WasmModule } from '../../core/wasm-module.js';

/**
 * BM25 document scores summed in WebAssembly memory, with the document weights of the terms queries use beside them.
 *
 * Scoring is one float32 multiply-add per posting of every query term (~38M for the biology-sized bench's 103
 * queries). JavaScript has no float32 arithmetic: each posting costs a float32 load widened to double, a product
 * rounded back (Math.fround), a sum rounded by the float32 store, and bounds checks; WebAssembly's f32.mul and f32.add
 * do the same rounding in one instruction each, and its loop ran ~2.5x faster here. The results are the same bits:
 * the product of two float32 values is exact in double, so rounding it once to float32 is f32.mul's correctly rounded
 * product, and a double sum of two float32 values rounded to float32 equals f32.add's (double has more than twice
 * float32's precision plus two bits, which makes double rounding innocuous for + and *).
 *
 * Memory layout: the scores (float32, one per document) from byte 0; then room for one term's document rows; then the
 * terms' weights (float32), each term's block appended when its weights are first computed. WebAssembly reads only
 * its own memory, so a term's rows are copied into that room each time it is added (a memcpy of at most 4 bytes per
 * document, into memory touched once): keeping every used term's rows beside its weights would touch 50 % more fresh
 * pages, and a first touch costs ~12 µs per 4 KiB page on the 2-core VM, more than a copy of the page.
 */
export class PostingScores {
  private readonly memory: WasmMemory;
  private readonly addBlock: (weights: number, end: number, rows: number, queryWeight: number) => void;
  private readonly rowBytes: 2 | 4;
  /** Byte offset of the rows' room. */
  private readonly rowsAt: number;
  /** Bytes of the memory in use. */
  private used: number;
  private views!: { scores: Float32Array; weights: Float32Array; rows: Uint16Array | Uint32Array };

  constructor(readonly numDocs: number) {
    this.rowBytes = numDocs <= 0x10000 ? 2 : 4;
    this.rowsAt = align4(numDocs * 4);
    this.used = align4(this.rowsAt + numDocs * this.rowBytes);
    this.memory = new webAssembly.Memory({ initial: Math.max(1, Math.ceil(this.used / WASM_PAGE)) });
    const name = this.rowBytes === 2 ? 'add16' : 'add32';
    this.addBlock = new webAssembly.Instance(postingModule(), { m: { memory: this.memory } }).exports[name] as PostingScores['addBlock'];
    this.refresh();
  }

  /** The scores, as the last query's postings left them (the view changes when the memory grows). */
  get scores(): Float32Array {
    return this.views.scores;
  }

  /** A block for `count` weights: they are `weights()[at / 4 ..]`, for the caller to fill before adding it. */
  reserve(count: number): number {
    const at = this.used;
    const end = at + count * 4;
    const size = this.memory.buffer.byteLength;
    if (end > size) {
      // at least doubling: a few grows per run
      this.memory.grow(Math.ceil(Math.max(end - size, size) / WASM_PAGE));
      this.refresh();
    }
    this.used = end;
    return at;
  }

  weights(): Float32Array {
    return this.views.weights;
  }

  /**
   * Adds the products weight * queryWeight (float32) of block `at`'s `count` weights to the scores of rows
   * `rows[start ..]`, in posting order.
   */
  add(at: number, count: number, queryWeight: number, rows: Uint16Array | Uint32Array, start: number): void {
    this.views.rows.set(rows.subarray(start, start + count), this.rowsAt / this.rowBytes);
    this.addBlock(at, at + 4 * count, this.rowsAt, queryWeight);
  }

  private refresh(): void {
    const { buffer } = this.memory;
    this.views = {
      scores: new Float32Array(buffer, 0, this.numDocs),
      weights: new Float32Array(buffer),
      rows: this.rowBytes === 2 ? new Uint16Array(buffer) : new Uint32Array(buffer),
    };
  }
}

const align4 = (bytes: number) => Math.ceil(bytes / 4) * 4;

let compiled: WasmModule | undefined;

function postingModule(): WasmModule {
  return (compiled ??= new webAssembly.Module(moduleWithMemory([addFunction('add16', 2), addFunction('add32', 4)])));
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
  const get = (local: number) => [0x20, local];
  const set = (local: number) => [0x21, local];
  const [BLOCK, LOOP, BR, BR_IF, END_OP, EMPTY] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];
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

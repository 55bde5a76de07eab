import { CONTROL, F32, I32, i32Const as constant, localGet as get, localSet as set, moduleWithMemory, V128, WASM_PAGE, webAssembly, type WasmModule } from '../../core/wasm-module.js';

/**
 * The exact search's [queries x rows] score matrix, with the scan that selection spends most of its time in: the
 * scores above a query's floor. The Gemm writes the scores straight into WebAssembly memory, where a SIMD loop
 * compares 16 floats per step (f32x4.gt: IEEE comparisons, as JavaScript's `>` on the same float32 values, NaN
 * never above) and writes the indices of the scores above the floor to a list in the same memory: one call per
 * query and block, not one per candidate (a query meets thousands of candidates in a 400k-row search).
 */
export interface ScoreBlock {
  /** The scores (a Gemm output), in memory the block owns. */
  readonly values: Float32Array;
  /** Where collect writes; its length bounds `max`. */
  readonly hits: Uint32Array;
  /**
   * Writes to `hits`, in order, the indices in [from, to) of `values` whose value is above `floor` (a float32
   * value), stopping after `max` (1 <= max <= hits.length); returns how many it wrote.
   */
  collect(from: number, to: number, floor: number, max: number): number;
}

/** Room for the indices one collect call writes. */
const HITS = 4096;

/** A block of `length` scores: scanned with WebAssembly SIMD where the engine has it (Node >= 16.4 does). */
export function scoreBlock(length: number): ScoreBlock {
  const module = simdModule();
  return module ? new SimdScoreBlock(module, length) : new PlainScoreBlock(new Float32Array(length));
}

/** The scan in JavaScript, four comparisons per step. */
export class PlainScoreBlock implements ScoreBlock {
  readonly hits = new Uint32Array(HITS);

  constructor(readonly values: Float32Array) {}

  collect(from: number, to: number, floor: number, max: number): number {
    const { values, hits } = this;
    let found = 0;
    let i = from;
    for (;;) {
      for (const end = to - 3; i < end; i += 4) {
        if (values[i]! > floor || values[i + 1]! > floor || values[i + 2]! > floor || values[i + 3]! > floor) break;
      }
      while (i < to && !(values[i]! > floor)) i++;
      if (i === to) return found;
      hits[found++] = i++;
      if (found === max) return found;
    }
  }
}

class SimdScoreBlock implements ScoreBlock {
  readonly values: Float32Array;
  readonly hits: Uint32Array;
  private readonly scan: (from: number, to: number, floor: number, hits: number, max: number) => number;
  private readonly hitsAt: number;

  constructor(module: WasmModule, length: number) {
    // one memory per block, the scores then the hits: nothing else can grow it (growing detaches the views on it)
    this.hitsAt = Math.ceil(length / 4) * 16;
    const memory = new webAssembly.Memory({ initial: Math.max(1, Math.ceil((this.hitsAt + HITS * 4) / WASM_PAGE)) });
    this.values = new Float32Array(memory.buffer, 0, length);
    this.hits = new Uint32Array(memory.buffer, this.hitsAt, HITS);
    this.scan = new webAssembly.Instance(module, { m: { memory } }).exports.collect as SimdScoreBlock['scan'];
  }

  collect(from: number, to: number, floor: number, max: number): number {
    // byte offsets in; the indices written are byte offsets / 4, i.e. indices into values
    return this.scan(from * 4, to * 4, floor, this.hitsAt, max);
  }
}

let compiled: WasmModule | null | undefined;

function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    const bytes = collectModule();
    compiled = webAssembly.validate(bytes) ? new webAssembly.Module(bytes) : null;
  }
  return compiled;
}

/**
 * The module, assembled here (~200 bytes; no WebAssembly toolchain in the build). It imports its memory as
 * m.memory and exports, in the text format:
 *
 *   (func $collect (param $p i32) (param $end i32) (param $floor f32) (param $out i32) (param $max i32) (result i32)
 *     (local $f v128) (local $count i32) (local $stop i32)
 *     (local.set $f (f32x4.splat (local.get $floor)))
 *     (loop $next
 *       (block $scalar (loop $vector                          ;; skip 16 floats (64 bytes) at a time
 *         (br_if $scalar (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
 *         (br_if $scalar (v128.any_true (v128.or (v128.or (f32x4.gt (v128.load offset=0 (local.get $p)) (local.get $f))
 *           (f32x4.gt (v128.load offset=16 ...) ...)) (v128.or (f32x4.gt (v128.load offset=32 ...) ...)
 *           (f32x4.gt (v128.load offset=48 ...) ...)))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *         (br $vector)))
 *       (local.set $stop (select (i32.add (local.get $p) (i32.const 64)) (local.get $end)   ;; those 16, or the tail
 *         (i32.lt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end))))
 *       (loop $one                                             ;; float by float
 *         (if (i32.ge_u (local.get $p) (local.get $stop)) (then
 *           (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (local.get $count))))
 *           (br $next)))
 *         (if (f32.gt (f32.load (local.get $p)) (local.get $floor)) (then
 *           (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2)))
 *             (i32.shr_u (local.get $p) (i32.const 2)))
 *           (local.set $count (i32.add (local.get $count) (i32.const 1)))
 *           (if (i32.ge_u (local.get $count) (local.get $max)) (then (return (local.get $count))))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 4)))
 *         (br $one)))
 *     (local.get $count))
 */
function collectModule(): Uint8Array {
  const [P, END, FLOOR, OUT, MAX, F, COUNT, STOP] = [0, 1, 2, 3, 4, 5, 6, 7];
  const plus = (local: number, value: number) => [...get(local), ...constant(value), 0x6a]; // i32.add
  const SIMD = 0xfd;
  const above = (offset: number) => [...get(P), SIMD, 0x00, 4, offset, ...get(F), SIMD, 0x44]; // v128.load, f32x4.gt
  const or = [SIMD, 0x50];
  const { BLOCK, LOOP, IF, BR, BR_IF, RETURN, END: END_OP, EMPTY } = CONTROL;
  const [GE_U, GT_U, LT_U] = [0x4f, 0x4b, 0x49];
  const returnCount = [IF, EMPTY, ...get(COUNT), RETURN, END_OP];
  const body = [
    ...get(FLOOR), SIMD, 0x13, ...set(F), // f32x4.splat
    LOOP, EMPTY, // $next
    BLOCK, EMPTY, LOOP, EMPTY, // $scalar, $vector
    ...plus(P, 64), ...get(END), GT_U, BR_IF, 1,
    ...above(0), ...above(16), ...or, ...above(32), ...above(48), ...or, ...or, SIMD, 0x53, BR_IF, 1, // v128.any_true
    ...plus(P, 64), ...set(P), BR, 0,
    END_OP, END_OP,
    ...plus(P, 64), ...get(END), ...plus(P, 64), ...get(END), LT_U, 0x1b, ...set(STOP), // select
    LOOP, EMPTY, // $one
    ...get(P), ...get(STOP), GE_U, IF, EMPTY, ...get(P), ...get(END), GE_U, ...returnCount, BR, 2, END_OP,
    ...get(P), 0x2a, 2, 0, ...get(FLOOR), 0x5e, IF, EMPTY, // f32.load, f32.gt
    ...get(OUT), ...get(COUNT), ...constant(2), 0x74, 0x6a, ...get(P), ...constant(2), 0x76, 0x36, 2, 0, // shl, add, shr_u, i32.store
    ...plus(COUNT, 1), ...set(COUNT),
    ...get(COUNT), ...get(MAX), GE_U, ...returnCount,
    END_OP,
    ...plus(P, 4), ...set(P), BR, 0,
    END_OP, END_OP,
    ...get(COUNT), END_OP,
  ];
  return moduleWithMemory([{ name: 'collect', params: [I32, I32, F32, I32, I32], results: [I32], locals: [[1, V128], [2, I32]], body }]);
}

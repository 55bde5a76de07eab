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
 * The module, assembled here (~250 bytes; no WebAssembly toolchain in the build). It imports its memory as
 * m.memory and exports, in the text format:
 *
 *   (func $collect (param $p i32) (param $end i32) (param $floor f32) (param $out i32) (param $max i32) (result i32)
 *     (local $f v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
 *     (local $count i32) (local $mask i32) (local $base i32)
 *     (local.set $f (f32x4.splat (local.get $floor)))
 *     (block $tail (loop $vector                               ;; 16 floats (64 bytes) at a time
 *       (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
 *       (if (v128.any_true (v128.or
 *             (v128.or (local.tee $c0 (f32x4.gt (v128.load offset=0 (local.get $p)) (local.get $f)))
 *                      (local.tee $c1 (f32x4.gt (v128.load offset=16 ...) ...)))
 *             (v128.or (local.tee $c2 (f32x4.gt (v128.load offset=32 ...) ...))
 *                      (local.tee $c3 (f32x4.gt (v128.load offset=48 ...) ...)))))
 *         (then                                                ;; the 16 as a bit mask, hits by count-trailing-zeros
 *           (local.set $mask (i32.or (i32.or (i32x4.bitmask (local.get $c0)) (i32.shl (i32x4.bitmask (local.get $c1)) (i32.const 4)))
 *             (i32.or (i32.shl (i32x4.bitmask (local.get $c2)) (i32.const 8)) (i32.shl (i32x4.bitmask (local.get $c3)) (i32.const 12)))))
 *           (local.set $base (i32.shr_u (local.get $p) (i32.const 2)))
 *           (loop $bits
 *             (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2)))
 *               (i32.add (local.get $base) (i32.ctz (local.get $mask))))
 *             (if (i32.ge_u (local.tee $count (i32.add (local.get $count) (i32.const 1))) (local.get $max))
 *               (then (return (local.get $count))))
 *             (br_if $bits (local.tee $mask (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *       (br $vector)))
 *     (loop $one                                               ;; the last < 16, float by float
 *       (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (local.get $count))))
 *       (if (f32.gt (f32.load (local.get $p)) (local.get $floor)) (then
 *         (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2)))
 *           (i32.shr_u (local.get $p) (i32.const 2)))
 *         (if (i32.ge_u (local.tee $count (i32.add (local.get $count) (i32.const 1))) (local.get $max))
 *           (then (return (local.get $count))))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 4)))
 *       (br $one))
 *     (local.get $count))
 *
 * A hit used to leave the vector loop for a float-by-float pass over its 16 (~25 ns a hit, one mispredicted branch
 * per float); the mask costs a few instructions a hit, and a search of the bench's size meets ~1M hits.
 */
function collectModule(): Uint8Array {
  const [P, END, FLOOR, OUT, MAX, F, C0, C1, C2, C3, COUNT, MASK, BASE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const plus = (local: number, value: number) => [...get(local), ...constant(value), 0x6a]; // i32.add
  const SIMD = 0xfd;
  const TEE = 0x22;
  // v128.load, f32x4.gt, local.tee
  const above = (offset: number, into: number) => [...get(P), SIMD, 0x00, 4, offset, ...get(F), SIMD, 0x44, TEE, into];
  const or = [SIMD, 0x50];
  const bitmask = (local: number, shift: number) => [...get(local), SIMD, 0xa4, 0x01, ...(shift ? [...constant(shift), 0x74] : [])]; // i32x4.bitmask, i32.shl
  const [I32_OR, I32_AND, I32_SUB, CTZ, SHL, SHR_U, STORE] = [0x72, 0x71, 0x6b, 0x68, 0x74, 0x76, 0x36];
  const { BLOCK, LOOP, IF, BR, BR_IF, RETURN, END: END_OP, EMPTY } = CONTROL;
  const [GE_U, GT_U] = [0x4f, 0x4b];
  const countUpReturnAtMax = [...plus(COUNT, 1), TEE, COUNT, ...get(MAX), GE_U, IF, EMPTY, ...get(COUNT), RETURN, END_OP];
  const outSlot = [...get(OUT), ...get(COUNT), ...constant(2), SHL, 0x6a];
  const body = [
    ...get(FLOOR), SIMD, 0x13, ...set(F), // f32x4.splat
    BLOCK, EMPTY, LOOP, EMPTY, // $tail, $vector
    ...plus(P, 64), ...get(END), GT_U, BR_IF, 1,
    ...above(0, C0), ...above(16, C1), ...or, ...above(32, C2), ...above(48, C3), ...or, ...or, SIMD, 0x53, // v128.any_true
    IF, EMPTY,
    ...bitmask(C0, 0), ...bitmask(C1, 4), I32_OR, ...bitmask(C2, 8), ...bitmask(C3, 12), I32_OR, I32_OR, ...set(MASK),
    ...get(P), ...constant(2), SHR_U, ...set(BASE),
    LOOP, EMPTY, // $bits
    ...outSlot, ...get(BASE), ...get(MASK), CTZ, 0x6a, STORE, 2, 0,
    ...countUpReturnAtMax,
    ...get(MASK), ...get(MASK), ...constant(1), I32_SUB, I32_AND, TEE, MASK, BR_IF, 0,
    END_OP, END_OP,
    ...plus(P, 64), ...set(P), BR, 0,
    END_OP, END_OP,
    LOOP, EMPTY, // $one
    ...get(P), ...get(END), GE_U, IF, EMPTY, ...get(COUNT), RETURN, END_OP,
    ...get(P), 0x2a, 2, 0, ...get(FLOOR), 0x5e, IF, EMPTY, // f32.load, f32.gt
    ...outSlot, ...get(P), ...constant(2), SHR_U, STORE, 2, 0,
    ...countUpReturnAtMax,
    END_OP,
    ...plus(P, 4), ...set(P), BR, 0,
    END_OP,
    ...get(COUNT), END_OP,
  ];
  return moduleWithMemory([{ name: 'collect', params: [I32, I32, F32, I32, I32], results: [I32], locals: [[5, V128], [3, I32]], body }]);
}

/**
 * The exact search's [queries x rows] score matrix, with the scan that selection spends most of its time in: the
 * first score above a query's floor. The Gemm writes the scores straight into WebAssembly memory, where a SIMD
 * loop compares 16 floats per step (f32x4.gt: IEEE comparisons, as JavaScript's `>` on the same float32 values, NaN
 * never above); the JavaScript loop it replaces took ~3.5 ms per 142 x 5461 block against ~0.1 ms.
 */
export interface ScoreBlock {
  /** The scores (a Gemm output), in memory the block owns. */
  readonly values: Float32Array;
  /** The first index in [from, to) of `values` whose value is above `floor` (a float32 value), or `to`. */
  nextAbove(from: number, to: number, floor: number): number;
}

/** The members of the WebAssembly global used here (@types/node 20 does not declare it; lib.dom does). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}
type WasmModule = { readonly brand: 'WebAssembly.Module' };
declare const WebAssembly: WebAssemblyApi;

/** A block of `length` scores: scanned with WebAssembly SIMD where the engine has it (Node >= 16.4 does). */
export function scoreBlock(length: number): ScoreBlock {
  const module = simdModule();
  return module ? new SimdScoreBlock(module, length) : new PlainScoreBlock(new Float32Array(length));
}

/** The scan in JavaScript, four comparisons per step. */
export class PlainScoreBlock implements ScoreBlock {
  constructor(readonly values: Float32Array) {}

  nextAbove(from: number, to: number, floor: number): number {
    const values = this.values;
    let i = from;
    for (const end = to - 3; i < end; i += 4) {
      if (values[i]! > floor || values[i + 1]! > floor || values[i + 2]! > floor || values[i + 3]! > floor) break;
    }
    for (; i < to; i++) if (values[i]! > floor) return i;
    return to;
  }
}

class SimdScoreBlock implements ScoreBlock {
  readonly values: Float32Array;
  private readonly scan: (from: number, to: number, floor: number) => number;

  constructor(module: WasmModule, length: number) {
    // one memory per block: nothing else can grow it (a grown memory detaches the views on it)
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((length * 4) / 65536)) });
    this.values = new Float32Array(memory.buffer, 0, length);
    this.scan = new WebAssembly.Instance(module, { m: { memory } }).exports.next_above as (from: number, to: number, floor: number) => number;
  }

  nextAbove(from: number, to: number, floor: number): number {
    // byte offsets in and out
    return this.scan(from * 4, to * 4, floor) / 4;
  }
}

let compiled: WasmModule | null | undefined;

function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    const bytes = nextAboveModule();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

/**
 * The module, assembled here (a few dozen bytes; no WebAssembly toolchain in the build). It imports its memory
 * as m.memory and exports, in the text format:
 *
 *   (func $next_above (param $p i32) (param $end i32) (param $floor f32) (result i32) (local $f v128)
 *     (local.set $f (f32x4.splat (local.get $floor)))
 *     (block $scalar (loop $vector                       ;; 16 floats (64 bytes) per step
 *       (br_if $scalar (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
 *       (br_if $scalar (v128.any_true (v128.or (v128.or (f32x4.gt (v128.load offset=0 (local.get $p)) (local.get $f))
 *         (f32x4.gt (v128.load offset=16 (local.get $p)) (local.get $f))) (v128.or (f32x4.gt (v128.load offset=32 ...))
 *         (f32x4.gt (v128.load offset=48 ...))))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *       (br $vector)))
 *     (block $done (loop $one                            ;; the step that holds one, or the tail, float by float
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (br_if $done (f32.gt (f32.load (local.get $p)) (local.get $floor)))
 *       (local.set $p (i32.add (local.get $p) (i32.const 4)))
 *       (br $one)))
 *     (local.get $p))
 */
function nextAboveModule(): Uint8Array {
  const [P, END, FLOOR, F] = [0, 1, 2, 3];
  const get = (local: number) => [0x20, local];
  const set = (local: number) => [0x21, local];
  const add = (value: number) => [0x41, ...signedLeb(value), 0x6a];
  const SIMD = 0xfd;
  const vectorLoad = (offset: number) => [...get(P), SIMD, 0x00, 4, offset];
  const above = (offset: number) => [...vectorLoad(offset), ...get(F), SIMD, 0x44];
  const or = [SIMD, 0x50];
  const [BLOCK, LOOP, BR, BR_IF, END_OP, EMPTY] = [0x02, 0x03, 0x0c, 0x0d, 0x0b, 0x40];
  const body = [
    1, 1, 0x7b, // one local, v128
    ...get(FLOOR), SIMD, 0x13, ...set(F), // f32x4.splat
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(P), ...add(64), ...get(END), 0x4b, BR_IF, 1, // i32.gt_u
    ...above(0), ...above(16), ...or, ...above(32), ...above(48), ...or, ...or, SIMD, 0x53, BR_IF, 1, // v128.any_true
    ...get(P), ...add(64), ...set(P), BR, 0,
    END_OP, END_OP,
    BLOCK, EMPTY, LOOP, EMPTY,
    ...get(P), ...get(END), 0x4f, BR_IF, 1, // i32.ge_u
    ...get(P), 0x2a, 2, 0, ...get(FLOOR), 0x5e, BR_IF, 1, // f32.load, f32.gt
    ...get(P), ...add(4), ...set(P), BR, 0,
    END_OP, END_OP,
    ...get(P), END_OP,
  ];
  const section = (id: number, ...entries: number[][]) => {
    const content = [...unsignedLeb(entries.length), ...entries.flat()];
    return [id, ...unsignedLeb(content.length), ...content];
  };
  const name = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // "\0asm", version 1
    ...section(1, [0x60, 3, 0x7f, 0x7f, 0x7d, 1, 0x7f]), // type: (i32, i32, f32) -> i32
    ...section(2, [...name('m'), ...name('memory'), 0x02, 0x00, 0x00]), // import memory, no minimum
    ...section(3, [0]), // one function of type 0
    ...section(7, [...name('next_above'), 0x00, 0]), // export it
    ...section(10, [...unsignedLeb(body.length), ...body]),
  ]);
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** i32.const takes a signed LEB128 (64 is 0xc0 0x00: a lone 0x40 would read as -64). */
function signedLeb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/**
 * Small WebAssembly modules assembled in code (a few dozen bytes of hot loop each; no WebAssembly toolchain in the
 * build): the binary format's integers and sections, and the pieces of the WebAssembly API used with them (the
 * project's TypeScript lib has no WebAssembly types; @types/node 20 does not declare them, lib.dom does).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` pages of 64 KiB; the old buffer is detached. */
  grow(pages: number): number;
}
/** A shared memory (`sharedMemory`): growing it leaves the old buffer its old length instead of detaching it. */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}
export type WasmModule = { readonly brand: 'WebAssembly.Module' };
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  /** Compiles on the engine's background threads. */
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: {
    new (descriptor: { initial: number }): WasmMemory;
    new (descriptor: { initial: number; maximum: number; shared: true }): SharedWasmMemory;
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}
export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export const WASM_PAGE = 65536;

/** The most pages a memory of 32-bit addresses holds (4 GiB): the maximum a shared memory must declare. */
const MAX_PAGES = 65536;

/**
 * A shared memory of at least `bytes` (grown as any other), for scoring memory that lives as long as its search. V8
 * counts an unshared memory's bytes, as any ArrayBuffer's, against the old generation's limit until the next full
 * collection, and a cached biology-sized search's (~11 MB) used up most of that limit's margin after a collection
 * (a search in a process that had already collected, as the bench's in-process cached row): a mark-compact freeing
 * nothing. A shared memory is not counted per thread. Its module must import it as shared (`moduleWithMemory`).
 */
export function sharedMemory(bytes: number): SharedWasmMemory {
  return new webAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)), maximum: MAX_PAGES, shared: true });
}

/** Grows `memory` (whole pages) until it holds at least `bytes`; the old buffer is detached when it grows. */
export function growMemory(memory: WasmMemory | SharedWasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
}

/** Value types, as the binary format writes them. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** One exported function: its parameters and results (value types), extra locals as [count, type] runs, its code. */
export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  locals: Array<[number, number]>;
  /** The instructions, `end` included. */
  body: number[];
}

/**
 * A module that imports its memory as m.memory and exports `functions`, each with a type of its own. `shared`: the
 * memory imported is a shared one (`sharedMemory`); an instance links only with a memory that is, or is not, as declared.
 */
export function moduleWithMemory(functions: readonly WasmFunction[], shared = false): Uint8Array {
  const section = (id: number, entries: number[][]) => {
    const content = [...unsignedLeb(entries.length), ...entries.flat()];
    return [id, ...unsignedLeb(content.length), ...content];
  };
  const name = (text: string) => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
  const code = (f: WasmFunction) => {
    const locals = [...unsignedLeb(f.locals.length), ...f.locals.flatMap(([count, type]) => [...unsignedLeb(count), type])];
    return [...unsignedLeb(locals.length + f.body.length), ...locals, ...f.body];
  };
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // "\0asm", version 1
    ...section(1, functions.map((f) => [0x60, f.params.length, ...f.params, f.results.length, ...f.results])),
    // import memory: no minimum, or (flags 3) shared, no minimum, MAX_PAGES at most
    ...section(2, [[...name('m'), ...name('memory'), 0x02, ...(shared ? [0x03, 0x00, ...unsignedLeb(MAX_PAGES)] : [0x00, 0x00])]]),
    ...section(3, functions.map((_, i) => unsignedLeb(i))),
    ...section(7, functions.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)])),
    ...section(10, functions.map(code)),
  ]);
}

/**
 * `zero`, which zeroes bytes [at, end) of the memory (bulk memory's memory.fill), in the text format:
 *   (func (param $at i32) (param $end i32) (memory.fill (local.get $at) (i32.const 0) (i32.sub (local.get $end) (local.get $at))))
 * For a shared memory, which JavaScript fills element by element (V8 fills a typed array on a SharedArrayBuffer so).
 */
export function zeroFunction(): WasmFunction {
  const [AT, END] = [0, 1];
  const MEMORY_FILL = [0xfc, 0x0b, 0x00];
  const body = [...localGet(AT), 0x41, 0, ...localGet(END), ...localGet(AT), 0x6b, ...MEMORY_FILL, CONTROL.END];
  return { name: 'zero', params: [I32, I32], results: [], locals: [], body };
}

/**
 * Pieces of instructions every hand-assembled function uses: structured control (with `EMPTY`, the block type of a
 * block that yields nothing), local access, and i32.const with its signed LEB128 immediate.
 */
export const CONTROL = { BLOCK: 0x02, LOOP: 0x03, IF: 0x04, ELSE: 0x05, BR: 0x0c, BR_IF: 0x0d, RETURN: 0x0f, END: 0x0b, EMPTY: 0x40 } as const;
export const localGet = (local: number): number[] => [0x20, local];
export const localSet = (local: number): number[] => [0x21, local];
export const i32Const = (value: number): number[] => [0x41, ...signedLeb(value)];

export function unsignedLeb(value: number): number[] {
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
export function signedLeb(value: number): number[] {
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

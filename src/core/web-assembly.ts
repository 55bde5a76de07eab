/**
 * The members of the WebAssembly global used by the project's own modules, typed (@types/node 20 does not declare
 * the global; lib.dom does, and the project does not load lib.dom).
 */
export interface WasmModule {
  readonly brand: 'WebAssembly.Module';
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

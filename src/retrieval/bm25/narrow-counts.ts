/** Counts stored in the narrowest unsigned width that holds the largest (term frequencies: almost all below 256). */
export type NarrowCounts = Uint8Array | Uint16Array | Uint32Array;

/** `shared`: on a SharedArrayBuffer, for arrays that other threads read (an index's postings: parallel-search.ts). */
export function narrowCounts(length: number, largest: number, shared = false): NarrowCounts {
  const memory = (bytesPerCount: number) => (shared ? new SharedArrayBuffer(length * bytesPerCount) : new ArrayBuffer(length * bytesPerCount));
  if (largest <= 0xff) return new Uint8Array(memory(1));
  if (largest <= 0xffff) return new Uint16Array(memory(2));
  return new Uint32Array(memory(4));
}

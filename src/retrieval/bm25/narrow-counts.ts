/** Counts stored in the narrowest unsigned width that holds the largest (term frequencies: almost all below 256). */
export type NarrowCounts = Uint8Array | Uint16Array | Uint32Array;

/** `shared`: on a SharedArrayBuffer, for arrays that other threads read (an index's postings: parallel-search.ts). */
export function narrowCounts(length: number, largest: number, shared = false): NarrowCounts {
  const memory = (bytesPerCount: number) => (shared ? new SharedArrayBuffer(length * bytesPerCount) : new ArrayBuffer(length * bytesPerCount));
  const bytes = countBytes(largest);
  if (bytes === 1) return new Uint8Array(memory(1));
  if (bytes === 2) return new Uint16Array(memory(2));
  return new Uint32Array(memory(4));
}

/** Bytes per count of the narrowest width that holds `largest`. */
export function countBytes(largest: number): 1 | 2 | 4 {
  return largest <= 0xff ? 1 : largest <= 0xffff ? 2 : 4;
}

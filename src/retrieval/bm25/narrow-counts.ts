/** Counts stored in the narrowest unsigned width that holds the largest (term frequencies: almost all below 256). */
export type NarrowCounts = Uint8Array | Uint16Array | Uint32Array;

export function narrowCounts(length: number, largest: number): NarrowCounts {
  if (largest <= 0xff) return new Uint8Array(length);
  if (largest <= 0xffff) return new Uint16Array(length);
  return new Uint32Array(length);
}

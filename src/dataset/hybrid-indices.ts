/**
 * A dictionary-encoded page's indices: parquet's RLE / bit-packed hybrid of fixed-width values, decoded exactly as
 * hyparquet's readRleBitPackedHybrid decodes them (which the tests hold it to), for widths up to 24 bits; the flat
 * string reader (flat-strings.ts) leaves wider ones to hyparquet.
 *
 * Why not hyparquet's: its bit-packed loop takes a DataView read and a branch per step, and each decoding thread
 * (the loader's, every BM25 analysis worker) runs it over every row's index before V8 has optimised it, then
 * optimises it for itself: on a biology-sized file's 57k ids it was the main thread's largest decoding cost. Here a
 * bit-packed run is one small loop over the bytes.
 */

/** Widths this decoder takes: a value and the next byte then fit in a 32-bit accumulator. */
export const MAX_INDEX_WIDTH = 24;

function truncated(): never {
  throw new Error('parquet dictionary indices truncated');
}

/**
 * Decodes `out.length` values `width` bits wide (1 to MAX_INDEX_WIDTH) from `bytes[at, end)` into `out`; values a
 * run holds beyond `out.length` are dropped, as hyparquet drops them.
 */
export function readIndices(bytes: Uint8Array, at: number, end: number, width: number, out: Uint32Array): void {
  let seen = 0;
  while (seen < out.length) {
    // the run's header: a ULEB128 varint, read as hyparquet's readVarInt reads it
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= end) truncated();
      const byte = bytes[at++]!;
      header |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    if ((header & 1) === 0) {
      // a run of one value, stored in whole bytes, little-endian
      const count = header >>> 1;
      let value = 0;
      for (let shift = 0; shift < width; shift += 8) {
        if (at >= end) truncated();
        value |= bytes[at++]! << shift;
      }
      out.fill(value, seen, Math.min(out.length, seen + count));
      seen += count;
      continue;
    }
    // bit-packed: groups of 8 values, `width` bytes each group
    const groups = header >> 1;
    if (groups <= 0) {
      if (groups < 0) truncated();
      // hyparquet reads one byte of an empty run all the same
      if (at >= end) truncated();
      at++;
      continue;
    }
    const length = groups * width;
    if (length > end - at) truncated();
    seen = unpack(bytes, at, width, out, seen, groups * 8);
    at += length;
  }
}

/**
 * `count` values `width` bits wide, least significant bit first, from `bytes[at..]` into `out[from..]` (those
 * beyond `out.length` dropped); returns where the next value goes. The caller has checked the bytes are there.
 */
function unpack(bytes: Uint8Array, at: number, width: number, out: Uint32Array, from: number, count: number): number {
  const mask = (1 << width) - 1;
  const stop = Math.min(out.length, from + count);
  let buffer = 0;
  let bits = 0;
  for (let i = from; i < stop; i++) {
    while (bits < width) {
      buffer |= bytes[at++]! << bits;
      bits += 8;
    }
    out[i] = buffer & mask;
    buffer >>>= width;
    bits -= width;
  }
  return from + count;
}

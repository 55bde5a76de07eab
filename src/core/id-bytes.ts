/**
 * Document ids as UTF-8 bytes: their hash, their order, and a string's bytes to look one up with. Tables of ids
 * kept as bytes (a corpus's, a run file's) make no JS string per id.
 */

/** FNV-1a over bytes [start, end): the hash every id table keeps or computes per id. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash;
}

/** Byte order of two ranges, which for UTF-8 is code point order (strcmp). */
export function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/**
 * Writes `text` at `out[at..]` as UTF-8 and returns where it ends (`out` needs 3 bytes per UTF-16 unit). A lone
 * surrogate is written as its own three-byte sequence (WTF-8), not as U+FFFD as TextEncoder does: two ids that
 * differ only there stay two ids, and such bytes never equal well-formed UTF-8 (a loaded corpus's ids).
 */
export function writeUtf8(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      out[at++] = unit;
    } else if (unit < 0x800) {
      out[at++] = 0xc0 | (unit >> 6);
      out[at++] = 0x80 | (unit & 0x3f);
    } else {
      const next = (unit & 0xfc00) === 0xd800 && i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if ((next & 0xfc00) === 0xdc00) {
        const point = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
        out[at++] = 0xf0 | (point >> 18);
        out[at++] = 0x80 | ((point >> 12) & 0x3f);
        out[at++] = 0x80 | ((point >> 6) & 0x3f);
        out[at++] = 0x80 | (point & 0x3f);
        i++;
      } else {
        out[at++] = 0xe0 | (unit >> 12);
        out[at++] = 0x80 | ((unit >> 6) & 0x3f);
        out[at++] = 0x80 | (unit & 0x3f);
      }
    }
  }
  return at;
}

/** Where hashUtf8 and equalsUtf8 encode a string that is not ASCII. */
let scratch = new Uint8Array(256);

/** writeUtf8 into `scratch`; returns the end. */
function encoded(text: string): number {
  if (scratch.length < 3 * text.length) scratch = new Uint8Array(3 * text.length);
  return writeUtf8(text, scratch, 0);
}

/** hashBytes of `text`'s UTF-8 (writeUtf8) bytes, from the string itself when it is ASCII. */
export function hashUtf8(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return hashBytes(scratch, 0, encoded(text));
    hash = Math.imul(hash ^ unit, 0x01000193);
  }
  return hash;
}

/** Whether `bytes[start, end)` are `text`'s UTF-8 (writeUtf8) bytes, compared with the string itself when it is ASCII. */
export function equalsUtf8(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start < text.length) return false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return compareBytes(bytes, start, end, scratch, 0, encoded(text)) === 0;
    if (bytes[start + i] !== unit) return false;
  }
  return end - start === text.length;
}

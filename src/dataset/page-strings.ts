/**
 * Strings from parquet BYTE_ARRAY values, decoded exactly as TextDecoder decodes each value (hyparquet's default),
 * but with one string allocation per page instead of one per value.
 *
 * Why not TextDecoder per value: every decoded document is a fresh young-generation string that survives, so the
 * scavenger copies it twice (to the survivor space, then to the old generation): on a 300 MB corpus that was 44 % of
 * the decode's CPU time, more than snappy and UTF-8 decoding together. Here the values of a page are copied side by
 * side and decoded once (a parent string that lives outside the young generation: external or large-object), and
 * each value is a slice of it (V8 keeps a slice as a small pointer into its parent). A parent holds only values of
 * one page, which a loader keeps or drops together.
 *
 * Exactness: pure-ASCII values are sliced from a latin1 parent (one byte per character, identical to UTF-8 for
 * ASCII); well-formed UTF-8 values that do not start with a byte-order mark are sliced from a UTF-8 parent at their
 * UTF-16 lengths (well-formed UTF-8 decodes piece by piece, so the parent is the values' decodings end to end);
 * anything else (malformed bytes, a leading BOM that TextDecoder strips) goes through TextDecoder itself.
 */
import { Buffer, isAscii, isUtf8 } from 'node:buffer';

const decoder = new TextDecoder();
/** Values decoded per parent at most: keeps a parent far below V8's string length limit (~512M characters). */
const MAX_PARENT_BYTES = 1 << 24;

let scratch = Buffer.allocUnsafe(1 << 20);

function reserve(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, scratch.length * 2));
  return scratch;
}

/** UTF-16 length of well-formed UTF-8: one unit per lead byte, two for a 4-byte sequence (a surrogate pair). */
function utf16Length(bytes: Uint8Array): number {
  let units = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1;
  }
  return units;
}

function startsWithBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Decodes `views` into `out[at..]` through as few parent strings as possible. */
function decodeGroup(views: Uint8Array[], out: unknown[], at: number): void {
  let total = 0;
  for (const view of views) total += view.length;
  const buffer = reserve(total);
  let offset = 0;
  for (const view of views) {
    buffer.set(view, offset);
    offset += view.length;
  }
  if (isAscii(buffer.subarray(0, total))) {
    const parent = buffer.toString('latin1', 0, total);
    offset = 0;
    for (let k = 0; k < views.length; k++) {
      const length = views[k]!.length;
      out[at + k] = parent.slice(offset, offset + length);
      offset += length;
    }
    return;
  }
  // mixed: ASCII values into a latin1 parent, other well-formed ones into a UTF-8 parent (kept apart so that an
  // ASCII document does not take two bytes per character because a neighbour holds a curly quote)
  const ASCII = 0;
  const UTF8 = 1;
  const OTHER = 2;
  const kinds = new Uint8Array(views.length);
  let asciiBytes = 0;
  let utf8Bytes = 0;
  for (let k = 0; k < views.length; k++) {
    const view = views[k]!;
    if (isAscii(view)) {
      asciiBytes += view.length;
    } else if (isUtf8(view) && !startsWithBom(view)) {
      kinds[k] = UTF8;
      utf8Bytes += view.length;
    } else {
      kinds[k] = OTHER;
    }
  }
  let asciiOffset = 0;
  let utf8Offset = asciiBytes;
  for (let k = 0; k < views.length; k++) {
    if (kinds[k] === ASCII) {
      buffer.set(views[k]!, asciiOffset);
      asciiOffset += views[k]!.length;
    } else if (kinds[k] === UTF8) {
      buffer.set(views[k]!, utf8Offset);
      utf8Offset += views[k]!.length;
    }
  }
  const asciiParent = buffer.toString('latin1', 0, asciiBytes);
  const utf8Parent = buffer.toString('utf8', asciiBytes, asciiBytes + utf8Bytes);
  asciiOffset = 0;
  utf8Offset = 0;
  for (let k = 0; k < views.length; k++) {
    const view = views[k]!;
    if (kinds[k] === ASCII) {
      out[at + k] = asciiParent.slice(asciiOffset, asciiOffset + view.length);
      asciiOffset += view.length;
    } else if (kinds[k] === UTF8) {
      const units = utf16Length(view);
      out[at + k] = utf8Parent.slice(utf8Offset, utf8Offset + units);
      utf8Offset += units;
    } else {
      out[at + k] = decoder.decode(view);
    }
  }
}

/** Decodes `values` in place, one group per run of consecutive values from one page (bounded in size). */
function decodeRuns(values: unknown[]): void {
  let i = 0;
  while (i < values.length) {
    const first = values[i];
    if (!(first instanceof Uint8Array)) {
      i++;
      continue;
    }
    const start = i;
    const views: Uint8Array[] = [];
    let bytes = 0;
    for (; i < values.length; i++) {
      const view = values[i];
      if (!(view instanceof Uint8Array) || view.buffer !== first.buffer) break;
      if (bytes + view.length > MAX_PARENT_BYTES && views.length > 0) break;
      views.push(view);
      bytes += view.length;
    }
    decodeGroup(views, values, start);
  }
}

/**
 * Whether a value may occur twice: a plain page yields each value once, at increasing offsets, and a page's values
 * come in one run; a dictionary-encoded page repeats its dictionary's entries (the same Uint8Array objects).
 */
function mayRepeat(values: unknown[]): boolean {
  const finished = new Set<ArrayBufferLike>();
  let page: ArrayBufferLike | undefined;
  let lastOffset = -1;
  for (const value of values) {
    if (!(value instanceof Uint8Array)) continue;
    if (value.buffer === page) {
      if (value.byteOffset <= lastOffset) return true;
    } else {
      if (page) finished.add(page);
      if (finished.has(value.buffer)) return true;
      page = value.buffer;
    }
    lastOffset = value.byteOffset;
  }
  return false;
}

/**
 * Replaces every Uint8Array in `values` (in place) by its decoded string; other entries (null, undefined) stay.
 * A value that occurs several times (a dictionary entry that several rows reference) is decoded once and its
 * string shared, as hyparquet shares a dictionary's strings.
 */
export function decodeStrings(values: unknown[]): void {
  if (!mayRepeat(values)) {
    decodeRuns(values);
    return;
  }
  const distinct = new Map<unknown, number>();
  const unique: unknown[] = [];
  for (const value of values) {
    if (value instanceof Uint8Array && !distinct.has(value)) {
      distinct.set(value, unique.length);
      unique.push(value);
    }
  }
  decodeRuns(unique);
  for (let i = 0; i < values.length; i++) {
    const index = distinct.get(values[i]);
    if (index !== undefined) values[i] = unique[index];
  }
}

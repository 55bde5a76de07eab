/**
 * Strings from parquet BYTE_ARRAY values, decoded exactly as TextDecoder decodes each value (hyparquet's default),
 * with one string allocation per 32 kB of ASCII values instead of one per value.
 *
 * Why not TextDecoder per value: a string per document is an allocation per document, and one that survives the
 * young generation is copied twice by the scavenger (44 % of the decode's CPU time when every text was kept).
 * Here the ASCII values of a page (most of them: BRIGHT is mostly English and code) are copied side by side and
 * decoded into one latin1 parent string per 32 kB, and each is a slice of its parent (V8 keeps a slice as a small
 * pointer into the parent); latin1 is UTF-8 for ASCII bytes, one character per byte. Values with any other byte go through
 * TextDecoder itself, so malformed bytes and a leading byte-order mark (which TextDecoder strips) are decoded as
 * before. Why 32 kB: a string of 128 kB or more goes to V8's large-object space, which maps fresh memory for every
 * object and unmaps it when the object dies; a loader that streams a corpus (BM25 drops each batch once analysed)
 * would then take a page fault for every 4 kB of text, which costs more than the decoding (2.3 s against 0.2 s for
 * 480 MB of text on the 2-core VM). Parents of at most 32 kB stay in the young generation, whose pages are reused.
 */
import { Buffer, isAscii } from 'node:buffer';

const decoder = new TextDecoder();
/** Bytes decoded into one parent string at most (a longer single value gets a parent of its own). */
const MAX_PARENT_BYTES = 1 << 15;

let scratch = Buffer.allocUnsafe(1 << 20);

function reserve(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, scratch.length * 2));
  return scratch;
}

/** Decodes `views` into `out[at..]`: ASCII values as slices of one latin1 parent, the others by TextDecoder. */
function decodeGroup(views: Uint8Array[], out: unknown[], at: number): void {
  const ascii = new Uint8Array(views.length);
  let asciiBytes = 0;
  for (let k = 0; k < views.length; k++) {
    if (isAscii(views[k]!)) {
      ascii[k] = 1;
      asciiBytes += views[k]!.length;
    }
  }
  const buffer = reserve(asciiBytes);
  let offset = 0;
  for (let k = 0; k < views.length; k++) {
    if (ascii[k] === 0) continue;
    buffer.set(views[k]!, offset);
    offset += views[k]!.length;
  }
  const parent = buffer.toString('latin1', 0, asciiBytes);
  offset = 0;
  for (let k = 0; k < views.length; k++) {
    const view = views[k]!;
    if (ascii[k] === 0) {
      out[at + k] = decoder.decode(view);
    } else {
      out[at + k] = parent.slice(offset, offset + view.length);
      offset += view.length;
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

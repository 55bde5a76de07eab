/**
 * Strings from parquet BYTE_ARRAY values, decoded exactly as TextDecoder decodes each value (hyparquet's default).
 *
 * Values that are all ASCII (most of them: BRIGHT is mostly English and code) are decoded as latin1, which is UTF-8
 * for ASCII bytes, one character per byte, without TextDecoder's per-call setup; values with any other byte go
 * through TextDecoder itself, so malformed bytes and a leading byte-order mark (which TextDecoder strips) are decoded
 * as before.
 *
 * Two entry points: `decodePlainStrings` reads a PLAIN page straight from its bytes (the own reader,
 * flat-strings.ts), with no object per value but the string, each a flat string of its own; `decodeStrings` takes
 * the Uint8Array views that hyparquet hands over for the columns the own reader leaves to it (lists), and makes the
 * ASCII ones slices of one latin1 parent per 32 kB (a string of 128 kB or more would go to V8's large-object space,
 * mapped and unmapped for every object).
 */
import { Buffer, isAscii } from 'node:buffer';
import { pageLoops } from './page-loops.js';

const decoder = new TextDecoder();
/** A run of values checked by one isAscii call, and a parent string of `decodeStrings`, spans at most this many bytes (a longer single value alone). */
const MAX_PARENT_BYTES = 1 << 15;

let scratch = Buffer.allocUnsafe(1 << 20);

function reserve(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, scratch.length * 2));
  return scratch;
}

/**
 * Decodes the `count` PLAIN byte arrays (each a 4-byte little-endian length, then the bytes) at `page[at..end)`
 * into `out[outAt..]`, exactly as TextDecoder decodes each value. The page is the own reader's memory
 * (page-loops.ts's heap; `scratch` is the loops' room there, see flat-strings.ts's ValueSink) and is overwritten:
 * the length prefixes are zeroed, so that a run of values of up to 32 kB with their prefixes between them is
 * checked by one isAscii call; only a run that is not all ASCII takes a check per value.
 * Why a flat string per value rather than slices of one latin1 parent per run (one native call per run instead of
 * one per value): BM25 analysis reads every text character by character, and on a sliced string each read goes
 * through the slice to its parent: analyzing half the biology-sized corpus took 10.5 % more instructions from slices
 * (cachegrind, 3.46 G against 3.10 G), while making the flat strings took 1.6 % fewer.
 * Why several small functions: each is optimised on its own as soon as it is hot. The mixed-run path is first taken
 * long after the ASCII path (ids are ASCII); in one large function its first use threw away the optimised code of
 * the whole function, which then ran unoptimised until it was compiled again.
 */
export function decodePlainStrings(page: Buffer, at: number, end: number, count: number, out: unknown[], outAt: number, scratch: number): void {
  const { starts, lengths } = pageLoops().valueSpans(page, at, end, count, scratch);
  for (let i = 0; i < count; ) {
    const base = starts[i]!;
    let j = i + 1;
    while (j < count && starts[j]! + lengths[j]! - base <= MAX_PARENT_BYTES) j++;
    const stop = starts[j - 1]! + lengths[j - 1]!;
    if (isAscii(new Uint8Array(page.buffer, page.byteOffset + base, stop - base))) asciiValues(page, starts, lengths, i, j, out, outAt);
    else mixedValues(page, starts, lengths, i, j, out, outAt);
    i = j;
  }
}

/** Values i..j-1, all ASCII: each its own flat string. */
function asciiValues(page: Buffer, starts: Int32Array, lengths: Int32Array, i: number, j: number, out: unknown[], outAt: number): void {
  for (let k = i; k < j; k++) out[outAt + k] = page.toString('latin1', starts[k]!, starts[k]! + lengths[k]!);
}

/** Values i..j-1 (a run that is not all ASCII): ASCII values as in `asciiValues`, the others by TextDecoder. */
function mixedValues(page: Buffer, starts: Int32Array, lengths: Int32Array, i: number, j: number, out: unknown[], outAt: number): void {
  for (let k = i; k < j; k++) {
    const start = starts[k]!;
    const stop = start + lengths[k]!;
    const value = new Uint8Array(page.buffer, page.byteOffset + start, stop - start);
    out[outAt + k] = isAscii(value) ? page.toString('latin1', start, stop) : decoder.decode(value);
  }
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

/**
 * A flat string column's values as UTF-8 bytes, one after the other, for a reader that wants no JS string per
 * value: the BM25 analysis workers hand a chunk's texts to the analyzer's WebAssembly, which converts UTF-8 to the
 * UTF-16 units the analyzer reads. Making a string of every text (and collecting the young strings a chunk keeps)
 * cost the workers as much as decompressing and reading the pages.
 *
 * The bytes are exactly the string that TextDecoder (the loader, page-strings.ts) makes of each value, in UTF-8:
 * every value is well-formed UTF-8 (no overlong form, no encoded surrogate, nothing above U+10FFFF), so the
 * standard UTF-8 -> UTF-16 conversion of it is that string, unit for unit. Values that already are (nearly all)
 * are copied as they are, less the leading byte-order mark TextDecoder strips; any other value is decoded by
 * TextDecoder itself and its string encoded again (well-formed, with U+FFFD where TextDecoder put it).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { ValueSink } from './flat-strings.js';
import { pageLoops } from './page-loops.js';

/** Texts as UTF-8: text i is `bytes[offsets[i], offsets[i + 1])`; `offsets` has one entry more than there are texts. */
export interface Utf8Texts {
  bytes: Uint8Array;
  offsets: Uint32Array;
}

const decoder = new TextDecoder();

/**
 * Values one after the other in memory that grows as needed and is reused from one `clear` to the next. Values are
 * copied in bulk (a page's, a run of dictionary entries), not one native call each: a worker starts with none of
 * the copying code compiled, and a view or a Buffer.copy per value cost more than decompressing the page.
 */
class ByteValues {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private ends = new Uint32Array(1024);
  /** Values held. */
  count = 0;

  clear(): void {
    this.count = 0;
  }

  /**
   * `clear`, then room for `bytes` bytes in `values` values made at once, twice that when it must grow: memory that
   * grows by doubling as pages come copies and first-touches (a page fault per 4 KiB) about twice what it keeps, and
   * the next call (the chunks of one corpus are about the same size) then fits without growing; pages never written
   * cost nothing.
   */
  clearFor(bytes: number, values: number): void {
    this.count = 0;
    if (bytes > this.bytes.length) this.bytes = Buffer.allocUnsafe(2 * bytes);
    if (values + 1 > this.ends.length) this.ends = new Uint32Array(2 * (values + 1));
  }

  /** Drops the values after the first `count`. */
  truncate(count: number): void {
    this.count = Math.min(this.count, count);
  }

  /** The values held, as views valid until the next change. */
  view(): Utf8Texts {
    return { bytes: this.bytes.subarray(0, this.used()), offsets: this.ends.subarray(0, this.count + 1) };
  }

  /** Appends values `from` to `to - 1` of `values` (which holds them one after the other): one copy. */
  pushRange(values: ByteValues, from: number, to: number): void {
    const base = values.ends[from]!;
    const at = this.reserve(values.ends[to]! - base, to - from);
    this.bytes.set(values.bytes.subarray(base, values.ends[to]!), at);
    shiftedCopy(this.ends, this.count + 1, values.ends, from + 1, to + 1, at - base);
    this.count += to - from;
  }

  /** Appends a string that holds no lone surrogate (TextDecoder's output, or a loader's string) in UTF-8. */
  pushString(text: string): void {
    const at = this.reserve(Buffer.byteLength(text, 'utf8'), 1);
    this.ends[++this.count] = at + this.bytes.write(text, at, 'utf8');
  }

  /**
   * Appends the `count` PLAIN byte arrays at `page[at..end)` (the own reader's memory, which is overwritten; see
   * page-loops.ts `valueSpans`, `scratch` its room) as TextDecoder decodes each of them.
   */
  pushPlain(page: Buffer, at: number, end: number, count: number, scratch: number): void {
    if (count === 0) return;
    const loops = pageLoops();
    const { starts, lengths } = loops.valueSpans(page, at, end, count, scratch);
    const first = starts[0]!;
    const last = starts[count - 1]! + lengths[count - 1]!;
    // the length prefixes are zeros now: a sequence cannot run from one value into the next, so all the values are
    // well-formed exactly when the bytes from the first value's start to the last one's end are
    if (!isUtf8(page.subarray(first, last))) {
      this.pushEach(page, starts, lengths, count);
      return;
    }
    // the values moved together in the page (each over its predecessor's length prefix, less a leading byte-order
    // mark), then copied out at once
    const base = this.reserve(last - first, count);
    const { to, ends } = loops.moveTogether(scratch, count, base - first);
    this.ends.set(ends, this.count + 1);
    this.count += count;
    this.bytes.set(page.subarray(first, to), base);
  }

  /** pushPlain for a page with a value that is not well-formed: value by value. */
  private pushEach(page: Buffer, starts: Int32Array, lengths: Int32Array, count: number): void {
    for (let k = 0; k < count; k++) {
      const stop = starts[k]! + lengths[k]!;
      const value = page.subarray(starts[k]!, stop);
      if (!isUtf8(value)) {
        this.pushString(decoder.decode(value));
        continue;
      }
      const start = afterBom(page, starts[k]!, stop);
      const at = this.reserve(stop - start, 1);
      this.bytes.set(page.subarray(start, stop), at);
      this.ends[++this.count] = at + stop - start;
    }
  }

  private used(): number {
    return this.ends[this.count]!;
  }

  /** Room for `bytes` more bytes in `values` more values; returns where the bytes go. */
  private reserve(bytes: number, values: number): number {
    const at = this.used();
    if (at + bytes > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(at + bytes, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
    }
    if (this.count + values + 1 > this.ends.length) {
      const grown = new Uint32Array(Math.max(this.count + values + 1, this.ends.length * 2));
      grown.set(this.ends);
      this.ends = grown;
    }
    return at;
  }
}

/* The loops over a page's values are page-loops.ts's WebAssembly; these two are small functions of their own (see there why). */

/** `to[toAt + i] = from[fromStart + i] + shift` for the values from `fromStart` to `fromEnd - 1`. */
function shiftedCopy(to: Uint32Array, toAt: number, from: Uint32Array, fromStart: number, fromEnd: number, shift: number): void {
  for (let i = fromStart; i < fromEnd; i++) to[toAt++] = from[i]! + shift;
}

/** Where a value at `bytes[start, stop)` starts once a leading byte-order mark is dropped, as TextDecoder drops it. */
function afterBom(bytes: Uint8Array, start: number, stop: number): number {
  return stop - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf ? start + 3 : start;
}

/**
 * A sink (flat-strings.ts) appending each value of a column chunk to `values`. A null becomes an empty value and
 * the first one's row in the chunk is kept (-1: none), for the caller to report as the loader does.
 */
export class Utf8Sink implements ValueSink {
  readonly values = new ByteValues();
  private readonly entries = new ByteValues();
  /** A page's values when some of its rows are null. */
  private readonly defined = new ByteValues();
  firstNull = -1;

  dictionary(page: Buffer, at: number, end: number, count: number, scratch: number): void {
    this.entries.clear();
    this.entries.pushPlain(page, at, end, count, scratch);
  }

  plain(page: Buffer, at: number, end: number, row: number, values: number, defined: Uint8Array | undefined, nonNull: number, scratch: number): void {
    if (!defined) {
      this.values.pushPlain(page, at, end, values, scratch);
      return;
    }
    this.defined.clear();
    this.defined.pushPlain(page, at, end, nonNull, scratch);
    let next = 0;
    for (let i = 0; i < values; i++) {
      if (defined[i] === 1) this.values.pushRange(this.defined, next, ++next);
      else this.null(row + i);
    }
  }

  indexed(indices: Uint32Array, row: number, values: number, defined: Uint8Array | undefined): void {
    if (!defined) {
      // a run of rows taking consecutive entries (a dictionary of distinct texts lists them in row order) is one copy
      const loops = pageLoops();
      for (let next = 0; next < values; ) {
        const end = loops.runEnd(indices, next);
        this.values.pushRange(this.entries, indices[next]!, indices[next]! + end - next);
        next = end;
      }
      return;
    }
    let next = 0;
    for (let i = 0; i < values; ) {
      if (defined[i] !== 1) {
        this.null(row + i++);
        continue;
      }
      const from = indices[next]!;
      let to = from + 1;
      for (i++, next++; i < values && defined[i] === 1 && indices[next] === to; i++, next++) to++;
      this.values.pushRange(this.entries, from, to);
    }
  }

  private null(row: number): void {
    if (this.firstNull < 0) this.firstNull = row;
    this.values.pushString('');
  }
}

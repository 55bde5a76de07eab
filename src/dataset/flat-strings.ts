/**
 * An own reader for flat string columns (BYTE_ARRAY, REQUIRED or OPTIONAL, SNAPPY or UNCOMPRESSED; PLAIN or
 * dictionary-encoded values; v1 and v2 data pages): the documents' and examples' columns of every BRIGHT file.
 * Everything else (lists, other codecs or encodings, a page kind this reader does not know) is left to hyparquet:
 * `flatStringChunk` says whether a column chunk qualifies, and `readFlatStrings` throws `Unsupported` on a page
 * it cannot decode, after which parquet.ts decodes that column chunk with hyparquet instead.
 *
 * Why: hyparquet decodes a page into fresh memory at every step (the column chunk's bytes, a fresh snappy output
 * per page copied out of WebAssembly memory, a Uint8Array per value, arrays of levels), and on the 2-core VM the
 * first touch of fresh memory and the garbage collector cost as much as the decoding. Here one column chunk is read
 * straight into the snappy decoder's WebAssembly memory, each page is decompressed into the same region of that
 * memory, and its values go to a sink before the next page overwrites them: strings (page-strings.ts
 * `decodePlainStrings`, straight from those bytes, which it may overwrite; no buffer, view or array is allocated per
 * page or value but the strings) or UTF-8 bytes (utf8-values.ts, for the BM25 analysis workers). The snappy decoder is hysnappy's own WebAssembly instance: its JS wrapper always copies the input in and returns a fresh copy of the output; a JS snappy decoder
 * writing into a given buffer (hyparquet's) decodes these pages at about 210 MB/s, hysnappy's WebAssembly at
 * 450-700 MB/s, so the WebAssembly is called directly. Page headers and RLE/bit-packed levels are hyparquet's own
 * functions; the loops over a page's values (value lengths, dictionary indices up to 24 bits wide) are
 * page-loops.ts's WebAssembly, in the same memory.
 */
import { Buffer } from 'node:buffer';
import { readSync } from 'node:fs';
import type { ColumnChunk, DataReader, SchemaElement } from 'hyparquet';
import { Encodings, PageTypes } from 'hyparquet/src/constants.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import type { FlatChunk } from '../core/types.js';
import { MAX_INDEX_WIDTH, pageLoops, scratchBytes } from './page-loops.js';
import { decodePlainStrings } from './page-strings.js';

/** A page or chunk this reader does not decode; the caller falls back to hyparquet for the column chunk. */
export class Unsupported extends Error {}

/** Definition levels of the page being decoded (reused: no array per page). */
let levelScratch = new Uint8Array(1024);

/** Where the column chunk starts in WebAssembly memory (hysnappy's wrapper keeps its first 68,000 bytes for clang's stack and data). */
const CHUNK_START = 1 << 17;

/**
 * What this reader needs of a column chunk that hyparquet would decode as a flat string column and this reader can
 * take over; undefined for any other chunk.
 */
export function flatStringChunk(column: ColumnChunk, element: SchemaElement, depth: number): FlatChunk | undefined {
  const meta = column.meta_data;
  if (!meta || column.file_path) return undefined;
  if (depth !== 1 || element.type !== 'BYTE_ARRAY' || element.repetition_type === 'REPEATED') return undefined;
  if (meta.codec !== 'SNAPPY' && meta.codec !== 'UNCOMPRESSED') return undefined;
  const encodings = ['PLAIN', 'RLE', 'BIT_PACKED', 'RLE_DICTIONARY', 'PLAIN_DICTIONARY'];
  if (!meta.encodings.every((encoding) => encodings.includes(encoding))) return undefined;
  return {
    start: Number(meta.dictionary_page_offset || meta.data_page_offset),
    length: Number(meta.total_compressed_size),
    snappy: meta.codec === 'SNAPPY',
    optional: element.repetition_type === 'OPTIONAL',
  };
}

/**
 * A page header: the fields this reader uses, as hyparquet's `parquetHeader` (column.js) names them. Not that
 * function itself: column.js brings hyparquet's whole page decoder (data pages, delta, ALP, conversions, list
 * assembly), ~15 ms of module loading in every analysis worker, for a mapping of a few thrift fields.
 */
function pageHeader(reader: DataReader) {
  const header = deserializeTCompactProtocol(reader);
  const v1 = header.field_5;
  const dictionary = header.field_7;
  const v2 = header.field_8;
  return {
    type: PageTypes[header.field_1],
    uncompressed_page_size: header.field_2 as number,
    compressed_page_size: header.field_3 as number,
    data_page_header: v1 && { num_values: v1.field_1 as number, encoding: Encodings[v1.field_2] },
    dictionary_page_header: dictionary && { num_values: dictionary.field_1 as number },
    data_page_header_v2: v2 && {
      num_values: v2.field_1 as number,
      num_nulls: v2.field_2 as number,
      encoding: Encodings[v2.field_4],
      definition_levels_byte_length: v2.field_5 as number,
      repetition_levels_byte_length: v2.field_6 as number,
      is_compressed: v2.field_7 as boolean | undefined,
    },
  };
}

/*
 * Every thread that decodes (the loader's, each BM25 analysis worker) has V8 optimise what runs hot for itself, in
 * the background, and a loop inside a large function is optimised with everything that function calls inlined: the
 * loops over a page's values are therefore page-loops.ts's WebAssembly, the level loops below small functions of
 * their own (run only for a page with nulls), whose callers run too few times to be optimised, and a page without
 * nulls has its definition levels read with no loop at all.
 */

/** How many of `levels` are 1 (defined); -1 when one is neither 0 nor 1. */
function countDefined(levels: Uint8Array): number {
  let defined = 0;
  for (let i = 0; i < levels.length; i++) {
    if (levels[i] === 1) defined++;
    else if (levels[i] !== 0) return -1;
  }
  return defined;
}

/**
 * Whether definition levels (bit width 1) at the reader are one RLE run of 1s for at least `values` rows, as a
 * writer encodes a page without nulls: every row defined. The reader is then moved past the levels as
 * readRleBitPackedHybrid moves it (`byteLength` undefined: the levels start with their 4-byte length, as in a v1
 * page); otherwise it is left where it was, for readRleBitPackedHybrid.
 */
function allDefined(reader: { view: DataView; offset: number }, values: number, byteLength?: number): boolean {
  const { view } = reader;
  let at = reader.offset;
  let length = byteLength;
  if (length === undefined) {
    if (at + 4 > view.byteLength) return false;
    length = view.getUint32(at, true);
    at += 4;
  }
  const start = at;
  // the run's header, a ULEB128 varint as readVarInt reads it: count << 1, low bit 0 for a run
  let header = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= view.byteLength || shift > 21) return false;
    const byte = view.getUint8(at++);
    header |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  if ((header & 1) !== 0 || header >>> 1 < values || at >= view.byteLength || view.getUint8(at) !== 1) return false;
  reader.offset = start + length;
  return true;
}

function fail(message: string): never {
  throw new Error(`parquet ${message}`);
}

/** The length a snappy stream declares (its leading varint). */
function snappyLength(bytes: Uint8Array, at: number, end: number): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= end) fail('snappy stream truncated');
    const byte = bytes[at++]!;
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return result;
  }
  return fail('snappy length header invalid');
}

/**
 * Where a column chunk's values go, page by page in row order: strings (`readFlatStrings`, the loader) or UTF-8
 * bytes (utf8-values.ts, the BM25 analysis workers). `page` is this reader's memory (page-loops.ts's heap): a sink
 * reads what it needs before it returns and may overwrite [at, end) meanwhile, and `scratch` (in the same memory,
 * scratchBytes(count) long) is the page loops' room for `count` values.
 */
export interface ValueSink {
  /** A dictionary page's `count` PLAIN values at page[at, end): the chunk's dictionary from now on. */
  dictionary(page: Buffer, at: number, end: number, count: number, scratch: number): void;
  /**
   * Rows `row` to `row + values - 1` of a PLAIN data page: `nonNull` values at page[at, end), one for each row that
   * `defined` marks (every row when `defined` is undefined; the others are null).
   */
  plain(page: Buffer, at: number, end: number, row: number, values: number, defined: Uint8Array | undefined, nonNull: number, scratch: number): void;
  /**
   * The same rows from dictionary entries: `indices` (each within the dictionary; a view of the page's memory) for
   * the rows `defined` marks.
   */
  indexed(indices: Uint32Array, row: number, values: number, defined: Uint8Array | undefined): void;
}

/** A sink making each value a string, as the loader hands rows out (null where a value is null). */
class Strings implements ValueSink {
  private entries: string[] = [];
  constructor(readonly out: Array<string | null>) {}

  dictionary(page: Buffer, at: number, end: number, count: number, scratch: number): void {
    this.entries = new Array<string>(count);
    decodePlainStrings(page, at, end, count, this.entries, 0, scratch);
  }

  plain(page: Buffer, at: number, end: number, row: number, values: number, defined: Uint8Array | undefined, nonNull: number, scratch: number): void {
    const { out } = this;
    if (!defined) {
      decodePlainStrings(page, at, end, values, out, row, scratch);
      return;
    }
    const decoded = new Array<string>(nonNull);
    decodePlainStrings(page, at, end, nonNull, decoded, 0, scratch);
    let next = 0;
    for (let i = 0; i < values; i++) out[row + i] = defined[i] === 1 ? decoded[next++]! : null;
  }

  indexed(indices: Uint32Array, row: number, values: number, defined: Uint8Array | undefined): void {
    const { out, entries } = this;
    let next = 0;
    for (let i = 0; i < values; i++) out[row + i] = defined && defined[i] !== 1 ? null : entries[indices[next++]!]!;
  }
}

/** Decodes the chunk's `rows` values (null where a value is null) from the file. */
export function readFlatStrings(fd: number, chunk: FlatChunk, rows: number): Array<string | null> {
  const out = new Array<string | null>(rows);
  readFlatChunk(fd, chunk, rows, new Strings(out));
  return out;
}

/**
 * Reads the chunk's `rows` values from the file into `sink`: reads the chunk into WebAssembly memory, then page by
 * page.
 */
export function readFlatChunk(fd: number, chunk: FlatChunk, rows: number, sink: ValueSink): void {
  const { start, length, snappy, optional } = chunk;
  const loops = pageLoops();
  const outputStart = CHUNK_START + length + 64;
  loops.room(outputStart);
  let heap = loops.heap;
  for (let filled = 0; filled < length; ) {
    const read = readSync(fd, heap, CHUNK_START + filled, length - filled, start + filled);
    if (read === 0) fail(`column chunk ends early at byte ${start + filled}`);
    filled += read;
  }

  let row = 0;
  /** Entries of the chunk's dictionary; -1 before its dictionary page. */
  let dictionarySize = -1;
  const chunkEnd = CHUNK_START + length;
  let reader = { view: new DataView(heap.buffer, CHUNK_START, length), offset: 0 };

  /** Memory up to `bytes`: when it grows, the heap and the reader are new. */
  const room = (bytes: number): void => {
    if (!loops.room(bytes)) return;
    heap = loops.heap;
    // a new reader rather than a new `view` in this one: hyparquet's readers never reassign `view`, and doing it
    // once makes V8 throw away the optimised code of every function that reads a reader (they share one shape)
    reader = { view: new DataView(heap.buffer, CHUNK_START, length), offset: reader.offset };
  };

  /**
   * Scratch memory for the loops over `values` values of a page whose bytes end at `end` (in the chunk or the
   * output region): past both.
   */
  const scratchFor = (end: number, values: number): number => {
    const scratch = (Math.max(end, outputStart) + 7) & ~7;
    room(scratch + scratchBytes(values));
    return scratch;
  };

  /** Decompresses [at, at + size) of the chunk into the output region; returns where the bytes now are. */
  const pageBytes = (at: number, size: number, uncompressedSize: number, compressed: boolean): number => {
    if (at + size > chunkEnd) fail('page extends beyond its column chunk');
    // a page without values may still hold an (empty) snappy stream, as hyparquet allows
    if (uncompressedSize === 0) return at;
    if (!compressed) {
      if (size !== uncompressedSize) fail(`page length ${size} does not match header ${uncompressedSize}`);
      return at;
    }
    const declared = snappyLength(heap, at, at + size);
    if (declared !== uncompressedSize) fail(`decompressed page length ${declared} does not match header ${uncompressedSize}`);
    room(outputStart + uncompressedSize);
    const result = loops.uncompress(at, size, outputStart);
    if (result !== 0) fail(`snappy decompression failed (${result})`);
    return outputStart;
  };

  /** Values of one data page (its definition levels already read) into the sink. */
  const pageValues = (encoding: string | undefined, at: number, end: number, values: number, defined: Uint8Array | undefined, nonNull: number): void => {
    if (row + values > rows) fail(`column chunk has more values than the row group's ${rows} rows`);
    const scratch = scratchFor(end, values);
    if (encoding === 'PLAIN') {
      sink.plain(heap, at, end, row, values, defined, nonNull, scratch);
    } else if (encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') {
      if (dictionarySize < 0) fail('dictionary-encoded page without a dictionary');
      const indices = new Uint32Array(heap.buffer, scratch, nonNull);
      let largest = -1;
      if (nonNull > 0) {
        if (at >= end) fail('dictionary indices truncated');
        const width = heap[at]!;
        if (width > 32) fail(`dictionary index width ${width}`);
        if (width === 0) {
          indices.fill(0);
          largest = 0;
        } else if (width <= MAX_INDEX_WIDTH) {
          largest = loops.readIndices(at + 1, end, width, indices);
        } else {
          readRleBitPackedHybrid({ view: new DataView(heap.buffer, at + 1, end - at - 1), offset: 0 }, width, indices, end - at - 1);
          largest = loops.largest(indices);
        }
      }
      if (largest >= dictionarySize) fail(`dictionary index ${indices.find((index) => index >= dictionarySize)} out of range (${dictionarySize} entries)`);
      sink.indexed(indices, row, values, defined);
    } else {
      throw new Unsupported(`encoding ${encoding}`);
    }
    row += values;
  };

  /** Definition levels (bit width 1) of `values` values; undefined when none is null. */
  const levels = (levelReader: { view: DataView; offset: number }, values: number, byteLength?: number): { defined: Uint8Array | undefined; nonNull: number } => {
    if (allDefined(levelReader, values, byteLength)) return { defined: undefined, nonNull: values };
    if (levelScratch.length < values) levelScratch = new Uint8Array(Math.max(values, levelScratch.length * 2));
    const defined = levelScratch.subarray(0, values);
    readRleBitPackedHybrid(levelReader, 1, defined, byteLength);
    const nonNull = countDefined(defined);
    if (nonNull < 0) fail(`definition level ${defined.find((level) => level > 1)}`);
    return { defined: nonNull === values ? undefined : defined, nonNull };
  };

  while (row < rows) {
    if (reader.offset >= length) fail(`column chunk ends after ${row} of ${rows} values`);
    const header = pageHeader(reader);
    const at = CHUNK_START + reader.offset;
    const size = header.compressed_page_size;
    reader.offset += size;
    if (size < 0 || reader.offset > length) fail('page extends beyond its column chunk');
    if (header.type === 'DICTIONARY_PAGE') {
      const count = header.dictionary_page_header?.num_values ?? fail('dictionary page header missing');
      const bytes = pageBytes(at, size, header.uncompressed_page_size, snappy);
      const end = bytes + header.uncompressed_page_size;
      // each value takes its 4-byte length at least: a larger count is a truncated page (before any memory for it)
      if (4 * count > end - bytes) fail('PLAIN byte array truncated');
      sink.dictionary(heap, bytes, end, count, scratchFor(end, count));
      dictionarySize = count;
    } else if (header.type === 'DATA_PAGE') {
      const page = header.data_page_header ?? fail('data page header missing');
      const bytes = pageBytes(at, size, header.uncompressed_page_size, snappy);
      const end = bytes + header.uncompressed_page_size;
      let valuesAt = bytes;
      let defined: Uint8Array | undefined;
      let nonNull = page.num_values;
      if (optional) {
        const levelReader = { view: new DataView(heap.buffer, bytes, end - bytes), offset: 0 };
        ({ defined, nonNull } = levels(levelReader, page.num_values));
        valuesAt = bytes + levelReader.offset;
        if (valuesAt > end) fail('definition levels extend beyond the page');
      }
      pageValues(page.encoding, valuesAt, end, page.num_values, defined, nonNull);
    } else if (header.type === 'DATA_PAGE_V2') {
      const page = header.data_page_header_v2 ?? fail('data page v2 header missing');
      const repetition = page.repetition_levels_byte_length;
      const definition = page.definition_levels_byte_length;
      if (repetition !== 0) throw new Unsupported('repetition levels in a flat column');
      if (definition < 0 || definition > size) fail('definition levels extend beyond the page');
      let defined: Uint8Array | undefined;
      let nonNull = page.num_values;
      if (optional) {
        ({ defined, nonNull } = levels({ view: new DataView(heap.buffer, at, definition), offset: 0 }, page.num_values, definition));
      } else if (definition !== 0) {
        fail('definition levels in a required column');
      }
      if (nonNull !== page.num_values - page.num_nulls) fail(`page declares ${page.num_nulls} nulls, levels say ${page.num_values - nonNull}`);
      const valuesSize = header.uncompressed_page_size - definition;
      const bytes = pageBytes(at + definition, size - definition, valuesSize, snappy && page.is_compressed !== false);
      pageValues(page.encoding, bytes, bytes + valuesSize, page.num_values, defined, nonNull);
    } else {
      // INDEX_PAGE or an unknown kind: hyparquet decides
      throw new Unsupported(`page type ${header.type}`);
    }
  }
}

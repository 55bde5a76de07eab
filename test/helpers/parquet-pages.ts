/**
 * A test-only parquet writer for flat string columns with a chosen page layout: v1 data pages (what pyarrow writes
 * and hyparquet-writer cannot), v2 data pages, PLAIN or dictionary values, several pages per column chunk, nulls,
 * SNAPPY / UNCOMPRESSED / GZIP. Page headers and the footer are thrift compact encoded by hyparquet-writer's own
 * functions; hyparquet reading the file back is the check that the layout is valid.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { deltaLengthByteArray } from 'hyparquet-writer/src/delta.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';

// hyparquet-writer carries its own copy of hyparquet's types: take them from its functions
type Metadata = Parameters<typeof writeMetadata>[1];
type ColumnChunk = Metadata['row_groups'][number]['columns'][number];
type SchemaElement = Metadata['schema'][number];
type Encoding = ColumnChunk extends { meta_data?: infer M } ? (M extends { encodings: Array<infer E> } ? E : never) : never;
type CompressionCodec = NonNullable<ColumnChunk['meta_data']>['codec'];

export interface PageColumn {
  name: string;
  optional: boolean;
  /** Data page version. */
  pages: 1 | 2;
  encoding: 'PLAIN' | 'RLE_DICTIONARY' | 'PLAIN_DICTIONARY';
  codec: 'SNAPPY' | 'UNCOMPRESSED' | 'GZIP';
  /** Values per data page. */
  pageRows: number;
  /** v2 only: leave the page values uncompressed (is_compressed = false) although the codec compresses. */
  v2Uncompressed?: boolean;
  /** PLAIN only: the data pages from this one on (0-based) are DELTA_LENGTH_BYTE_ARRAY, which the own reader stops at. */
  deltaFrom?: number;
}

type Value = string | Uint8Array | null;

const utf8 = new TextEncoder();
const bytesOf = (value: string | Uint8Array) => (typeof value === 'string' ? utf8.encode(value) : value);

function compress(codec: PageColumn['codec'], bytes: Uint8Array): Uint8Array {
  if (codec === 'SNAPPY') return snappyCompress(bytes);
  if (codec === 'GZIP') return new Uint8Array(gzipSync(bytes));
  return bytes;
}

function plain(values: Array<string | Uint8Array>): Uint8Array {
  const writer = new ByteWriter();
  for (const value of values) {
    const bytes = bytesOf(value);
    writer.appendUint32(bytes.length);
    writer.appendBytes(bytes);
  }
  return writer.getBytes();
}

function deltaBytes(values: Array<string | Uint8Array>): Uint8Array {
  const writer = new ByteWriter();
  deltaLengthByteArray(writer, values.map(bytesOf));
  return writer.getBytes();
}

function hybrid(values: number[], width: number): Uint8Array {
  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, values, width);
  return writer.getBytes();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** Writes one column chunk at the writer's offset; returns its metadata. */
function writeChunk(file: ByteWriter, column: PageColumn, values: Value[]): ColumnChunk {
  const start = file.offset;
  const dictionaryEncoded = column.encoding !== 'PLAIN';
  let dictionaryOffset: bigint | undefined;
  const indexOf = new Map<string, number>();
  const present = values.filter((value): value is string | Uint8Array => value !== null);
  let uncompressedTotal = 0;
  if (dictionaryEncoded) {
    const entries: Array<string | Uint8Array> = [];
    for (const value of present) {
      const key = Buffer.from(bytesOf(value)).toString('hex');
      if (!indexOf.has(key)) {
        indexOf.set(key, entries.length);
        entries.push(value);
      }
    }
    const page = plain(entries);
    const compressed = compress(column.codec, page);
    dictionaryOffset = BigInt(file.offset);
    writePageHeader(file, {
      type: 'DICTIONARY_PAGE',
      uncompressed_page_size: page.length,
      compressed_page_size: compressed.length,
      dictionary_page_header: { num_values: entries.length, encoding: column.encoding === 'RLE_DICTIONARY' ? 'PLAIN' : 'PLAIN_DICTIONARY' },
    });
    file.appendBytes(compressed);
    uncompressedTotal += page.length;
  }
  const dataOffset = BigInt(file.offset);
  const width = Math.max(1, Math.ceil(Math.log2(Math.max(indexOf.size, 1))));
  const encodings = new Set<Encoding>(dictionaryEncoded ? ['PLAIN', 'RLE', column.encoding as Encoding] : ['PLAIN', 'RLE']);
  for (let from = 0; from < values.length; from += column.pageRows) {
    const pageValues = values.slice(from, from + column.pageRows);
    const nonNull = pageValues.filter((value): value is string | Uint8Array => value !== null);
    const delta = column.deltaFrom !== undefined && from / column.pageRows >= column.deltaFrom;
    const encoding = (delta ? 'DELTA_LENGTH_BYTE_ARRAY' : column.encoding) as Encoding;
    encodings.add(encoding);
    const encoded = delta
      ? deltaBytes(nonNull)
      : dictionaryEncoded
      ? concat(Uint8Array.of(width), hybrid(nonNull.map((value) => indexOf.get(Buffer.from(bytesOf(value)).toString('hex'))!), width))
      : plain(nonNull);
    const levels = column.optional ? hybrid(pageValues.map((value) => (value === null ? 0 : 1)), 1) : new Uint8Array(0);
    if (column.pages === 1) {
      const page = column.optional ? concat(uint32(levels.length), levels, encoded) : encoded;
      const compressed = compress(column.codec, page);
      writePageHeader(file, {
        type: 'DATA_PAGE',
        uncompressed_page_size: page.length,
        compressed_page_size: compressed.length,
        data_page_header: { num_values: pageValues.length, encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
      });
      file.appendBytes(compressed);
      uncompressedTotal += page.length;
    } else {
      const compressed = column.v2Uncompressed ? encoded : compress(column.codec, encoded);
      writePageHeader(file, {
        type: 'DATA_PAGE_V2',
        uncompressed_page_size: levels.length + encoded.length,
        compressed_page_size: levels.length + compressed.length,
        data_page_header_v2: {
          num_values: pageValues.length,
          num_nulls: pageValues.length - nonNull.length,
          num_rows: pageValues.length,
          encoding,
          definition_levels_byte_length: levels.length,
          repetition_levels_byte_length: 0,
          is_compressed: !column.v2Uncompressed,
        },
      });
      file.appendBytes(levels);
      file.appendBytes(compressed);
      uncompressedTotal += levels.length + encoded.length;
    }
  }
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: 'BYTE_ARRAY',
      encodings: [...encodings],
      path_in_schema: [column.name],
      codec: column.codec as CompressionCodec,
      num_values: BigInt(values.length),
      total_uncompressed_size: BigInt(uncompressedTotal),
      total_compressed_size: BigInt(file.offset - start),
      data_page_offset: dataOffset,
      dictionary_page_offset: dictionaryOffset,
    },
  };
}

/** Writes `rowGroups` (rows of values, one per column, in column order) with the given column layouts. */
export function writePagedParquet(filename: string, columns: PageColumn[], rowGroups: Value[][][]): void {
  const file = new ByteWriter();
  file.appendUint32(0x31524150); // PAR1
  const schema: SchemaElement[] = [
    { name: 'schema', num_children: columns.length },
    ...columns.map((column) => ({ name: column.name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: column.optional ? ('OPTIONAL' as const) : ('REQUIRED' as const) })),
  ];
  const groups = rowGroups.map((rows) => {
    const groupStart = file.offset;
    const chunks = columns.map((column, c) => writeChunk(file, column, rows.map((row) => row[c] ?? null)));
    return { columns: chunks, total_byte_size: BigInt(file.offset - groupStart), num_rows: BigInt(rows.length) };
  });
  writeMetadata(file, { version: 2, schema, num_rows: BigInt(rowGroups.reduce((sum, rows) => sum + rows.length, 0)), row_groups: groups, metadata_length: 0 });
  file.appendUint32(0x31524150);
  writeFileSync(filename, file.getBytes());
}

/**
 * The only module that imports hyparquet. Reads string and list-of-string columns one row group at a time, so
 * decoding the 210 MB leetcode corpus never holds more than one decompressed row group beside the result.
 * hyparquet's modules are imported one by one, its row reader (read.js: plans, scans, filters, row assembly) only
 * when a column needs it (list columns, pages the own reader does not decode): its whole index costs ~55 ms of
 * module loading, which every analysis worker would pay for the content column it never uses it for.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parquetMetadataAsync, parquetSchema } from 'hyparquet/src/metadata.js';
import type { AsyncBuffer, Compressors, FileMetaData, ParquetParsers, SchemaTree } from 'hyparquet';
import { snappyUncompressor } from 'hysnappy';
import { dataError, throwIfAborted } from '../core/errors.js';
import type { FlatChunk } from '../core/types.js';
import { checkValues, damagedRows, type ColumnKind } from './column-values.js';
import { decodeStrings } from './page-strings.js';
import { Unsupported, flatStringChunk, readFlatStrings } from './flat-strings.js';

/** How many column chunks each reader decoded (tests check that the fallback is taken where it must be). */
export const chunkReaders = { own: 0, hyparquet: 0 };

export type { ColumnKind };
export type ColumnValue<K extends ColumnKind> = K extends 'string' ? string : string[];
export type ColumnSpec = Record<string, ColumnKind>;
export type ColumnBatch<S extends ColumnSpec> = { [C in keyof S]: ColumnValue<S[C]>[] };

export interface RowGroupBatch<S extends ColumnSpec> {
  /** Index of the first row of this batch in the file. */
  rowStart: number;
  rows: number;
  columns: ColumnBatch<S>;
}

/**
 * Codecs that hyparquet-compressors adds to hyparquet's own (UNCOMPRESSED, SNAPPY). That package is imported only
 * for a file that uses one of them: it is 17 modules (brotli's dictionary, fzstd) and instantiates a WebAssembly
 * snappy decoder at import, and BRIGHT's files are all SNAPPY (the own reader decodes SNAPPY with hysnappy itself).
 */
export const compressorCodecs: readonly string[] = ['GZIP', 'BROTLI', 'ZSTD', 'LZ4', 'LZ4_RAW'];

/** SNAPPY for hyparquet's own decoding (list columns) by hysnappy's WebAssembly, 2-3x hyparquet's JS snappy; made once, when first needed. */
let snappyOnly: Compressors | undefined;

/** hyparquet hands over each string's bytes (a view into its page): decodeStrings makes the strings page by page. */
const rawStrings: Partial<ParquetParsers> = { stringFromBytes: (bytes: Uint8Array) => bytes as unknown as string };

/**
 * Byte ranges of a local file, each read straight into its own ArrayBuffer (hyparquet's asyncBufferFromFile
 * streams 64 kB chunks and concatenates them: one more copy of every byte). Reads are synchronous: a range is one
 * column chunk of one row group (about a megabyte), and a promise-based open + read + close per range cost more
 * than the read itself (a thread-pool round trip each).
 */
async function fileBuffer(filePath: string): Promise<AsyncBuffer & { mtimeMs: number }> {
  const { size, mtimeMs } = await stat(filePath);
  return {
    byteLength: size,
    mtimeMs,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const bytes = new Uint8Array(Math.max(Math.min(end, size) - start, 0));
      const fd = openSync(filePath, 'r');
      try {
        for (let filled = 0; filled < bytes.length; ) {
          const read = readSync(fd, bytes, filled, bytes.length - filled, start + filled);
          if (read === 0) throw new Error(`unexpected end of file at byte ${start + filled}`);
          filled += read;
        }
      } finally {
        closeSync(fd);
      }
      return bytes.buffer;
    },
  };
}

export interface RowGroupInfo {
  rowStart: number;
  rows: number;
  /** Uncompressed bytes of each top-level column's chunk in this row group (pages, headers and dictionary). */
  columnBytes: Readonly<Record<string, number>>;
  /** The chunks of flat string columns, which the own reader decodes (flat-strings.ts), by column. */
  flatChunks: Readonly<Record<string, FlatChunk>>;
}

export interface ParquetFile {
  path: string;
  /** What error messages call the file (its path in the dataset repository). */
  label: string;
  rows: number;
  /** The file's size and modification time when it was opened. */
  file: { size: number; mtimeMs: number };
  rowGroups: number;
  groups: readonly RowGroupInfo[];
  /** Row groups in order; with `fromRow`, those that end at or before it are skipped (never decoded). */
  read<S extends ColumnSpec>(columns: S, signal?: AbortSignal, fromRow?: number): AsyncGenerator<RowGroupBatch<S>>;
  /**
   * Row groups `first` to `end - 1` only, decoded and checked exactly as `read` does: what lets each worker thread
   * decode the row groups it analyzes from the file itself (parquet-texts.ts).
   */
  readRowGroups<S extends ColumnSpec>(columns: S, first: number, end: number, signal?: AbortSignal): AsyncGenerator<RowGroupBatch<S>>;
}

/** Opens a parquet file and checks that `expected` columns exist with the expected types and supported codecs. */
export async function openParquet(filePath: string, expected: ColumnSpec, label: string): Promise<ParquetFile> {
  let metadata: FileMetaData;
  const file = await fileBuffer(filePath).catch((error: unknown) => {
    throw dataError('parquet_unreadable', `${label}: cannot open ${filePath}: ${(error as Error).message}`, error);
  });
  // "PAR1" + footer length + "PAR1"; hyparquet's own error for a shorter file is a bare DataView range error
  if (file.byteLength < 12) {
    throw dataError('parquet_invalid', `${label}: ${filePath} is not a parquet file (${file.byteLength} bytes); delete it and download again`);
  }
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw dataError(
      'parquet_invalid',
      `${label}: ${filePath} is not a readable parquet file (${(error as Error).message}); delete it and download again`,
      error,
    );
  }
  const schema = parquetSchema(metadata);
  checkSchema(schema, expected, `${label} (${filePath})`);
  // top-level leaves: the columns the own reader may take (flat string columns)
  const leaves = new Map(schema.children.filter((child) => child.children.length === 0).map((child) => [child.element.name, child]));
  let needsCompressors = false;
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      const codec = column.meta_data?.codec;
      if (codec === undefined || codec === 'UNCOMPRESSED' || codec === 'SNAPPY') continue;
      if (!compressorCodecs.includes(codec)) {
        throw dataError('parquet_codec', `parquet: unsupported codec ${codec} in ${label} (${filePath}), column ${column.meta_data?.path_in_schema.join('.')}`);
      }
      needsCompressors = true;
    }
  }
  const packaged = needsCompressors ? (await import('hyparquet-compressors')).compressors : undefined;
  const groups: RowGroupInfo[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    const columnBytes: Record<string, number> = {};
    const flatChunks: Record<string, FlatChunk> = {};
    // a leaf column's chunk: the first one whose path is the column's name alone
    const leafChunks = new Set<string>();
    for (const column of group.columns) {
      const path = column.meta_data?.path_in_schema;
      const name = path?.[0];
      if (name === undefined) continue;
      columnBytes[name] = (columnBytes[name] ?? 0) + Number(column.meta_data!.total_uncompressed_size);
      const leaf = leaves.get(name);
      if (leaf === undefined || path!.length !== 1 || leafChunks.has(name)) continue;
      leafChunks.add(name);
      const flat = flatStringChunk(column, leaf.element, 1);
      if (flat) flatChunks[name] = flat;
    }
    groups.push({ rowStart: start, rows, columnBytes, flatChunks });
    start += rows;
  }
  async function* readRowGroups<S extends ColumnSpec>(columns: S, first: number, end: number, signal?: AbortSignal): AsyncGenerator<RowGroupBatch<S>> {
    const names = Object.keys(columns);
    // opened once for all the row groups the own reader reads (not per row group: an open + close each), closed
    // when the loop ends, fails, or the consumer stops early (for-await calls return())
    let fd: number | undefined;
    try {
      for (let groupIndex = Math.max(first, 0); groupIndex < Math.min(end, groups.length); groupIndex++) {
        const { rowStart, rows, flatChunks } = groups[groupIndex]!;
        const rowEnd = rowStart + rows;
        throwIfAborted(signal);
        const collected = new Map<string, unknown[]>();
        const own = names.filter((name) => columns[name] === 'string' && name in flatChunks);
        const fallback = names.filter((name) => !own.includes(name));
        if (own.length > 0) fd ??= openSync(filePath, 'r');
        for (const name of own) {
          try {
            collected.set(name, readFlatStrings(fd!, flatChunks[name]!, rowEnd - rowStart));
            chunkReaders.own++;
          } catch (error) {
            if (!(error instanceof Unsupported)) throw damagedRows(label, filePath, rowStart, rowEnd, error);
            fallback.push(name);
          }
        }
        if (fallback.length > 0) {
          chunkReaders.hyparquet += fallback.length;
          const { parquetRead } = await import('hyparquet/src/read.js');
          await parquetRead({
            file,
            metadata,
            columns: fallback,
            rowStart,
            rowEnd,
            compressors: packaged ?? (snappyOnly ??= { SNAPPY: snappyUncompressor() }),
            parsers: rawStrings,
            onChunk: ({ columnName, columnData, rowStart: chunkStart, rowEnd: chunkEnd }) => {
              // chunks may extend beyond the requested range; keep only this row group's rows
              const from = Math.max(rowStart - chunkStart, 0);
              const to = Math.min(rowEnd, chunkEnd) - chunkStart;
              let values = collected.get(columnName);
              if (!values) collected.set(columnName, (values = []));
              for (let i = from; i < to; i++) values.push(columnData[i]);
            },
          }).catch((error: unknown) => {
            throw damagedRows(label, filePath, rowStart, rowEnd, error);
          });
          for (const name of fallback) decodeColumn(collected.get(name) ?? [], columns[name]!);
        }
        const batch = {} as Record<string, unknown[]>;
        for (const name of names) {
          const values = collected.get(name) ?? [];
          if (values.length !== rowEnd - rowStart) {
            throw dataError('parquet_invalid', `${label}: column ${name} has ${values.length} values in rows ${rowStart}-${rowEnd} of ${filePath}`);
          }
          checkValues(values, columns[name]!, name, rowStart, label);
          batch[name] = values;
        }
        yield { rowStart, rows: rowEnd - rowStart, columns: batch as ColumnBatch<S> };
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return {
    path: filePath,
    label,
    rows: Number(metadata.num_rows),
    file: { size: file.byteLength, mtimeMs: file.mtimeMs },
    rowGroups: groups.length,
    groups,
    read(columns, signal, fromRow = 0) {
      let first = 0;
      while (first < groups.length && groups[first]!.rowStart + groups[first]!.rows <= fromRow) first++;
      return readRowGroups(columns, first, groups.length, signal);
    },
    readRowGroups,
  };
}

/** Turns the column's byte values (lists of them for `string[]`) into strings, in place. */
function decodeColumn(values: unknown[], kind: ColumnKind): void {
  if (kind === 'string') {
    decodeStrings(values);
    return;
  }
  const items: unknown[] = [];
  for (const list of values) if (Array.isArray(list)) for (const item of list) items.push(item);
  decodeStrings(items);
  let next = 0;
  for (const list of values) if (Array.isArray(list)) for (let j = 0; j < list.length; j++) list[j] = items[next++];
}

function isStringLeaf(node: SchemaTree): boolean {
  const element = node.element;
  return (
    node.children.length === 0 &&
    element.type === 'BYTE_ARRAY' &&
    (element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING')
  );
}

function isStringList(node: SchemaTree): boolean {
  const element = node.element;
  if (element.converted_type !== 'LIST' && element.logical_type?.type !== 'LIST') return false;
  const repeated = node.children[0];
  if (node.children.length !== 1 || repeated?.element.repetition_type !== 'REPEATED') return false;
  // 3-level list (pyarrow, HF datasets) or legacy 2-level list of strings
  if (isStringLeaf(repeated)) return true;
  return repeated.children.length === 1 && isStringLeaf(repeated.children[0]!);
}

function describe(node: SchemaTree): string {
  const element = node.element;
  if (node.children.length > 0) return `${element.converted_type ?? element.logical_type?.type ?? 'group'}<${node.children.map(describe).join(', ')}>`;
  return [element.type, element.converted_type ?? element.logical_type?.type].filter(Boolean).join('/');
}

function checkSchema(schema: SchemaTree, expected: ColumnSpec, label: string): void {
  const byName = new Map(schema.children.map((child) => [child.element.name, child]));
  for (const [name, kind] of Object.entries(expected)) {
    const node = byName.get(name);
    if (!node) {
      throw dataError('parquet_schema', `${label}: column "${name}" is missing (columns: ${[...byName.keys()].join(', ')}); this is not the BRIGHT file that belongs at this path`);
    }
    const ok = kind === 'string' ? isStringLeaf(node) : isStringList(node);
    if (!ok) {
      throw dataError('parquet_schema', `${label}: column "${name}" should be ${kind === 'string' ? 'a string' : 'a list of strings'}, found ${describe(node)}; this is not the BRIGHT file that belongs at this path`);
    }
  }
}

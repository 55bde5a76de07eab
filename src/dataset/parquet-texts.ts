/**
 * A corpus's texts by row-group range, decodable on any thread: the BM25 analysis workers read the documents file
 * themselves, so the texts are neither decoded on the main thread nor copied to the workers (a structured clone of
 * every text, then its deserialization in the worker).
 *
 * The loader has already parsed the file's footer, and the descriptor carries where each row group's text chunk
 * lies: a worker that finds the file as the loader did (same size and modification time) decodes those chunks
 * straight away, without hyparquet's metadata and page modules (~20 ms of module loading per worker) or a second
 * parse of the footer. Otherwise, and for a chunk the own reader does not take, it opens the file as the loader did.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { dataError, throwIfAborted } from '../core/errors.js';
import type { StoredTexts } from '../core/types.js';
import { damagedRows, invalidValue } from './column-values.js';
import { Unsupported, readFlatChunk } from './flat-strings.js';
import type { ParquetFile } from './parquet.js';
import type { Utf8Sink, Utf8Texts } from './utf8-values.js';

/** Where `file`'s string column `column` is stored, for a reader on another thread. */
export function storedTexts(file: ParquetFile, column: string): StoredTexts {
  const groups = file.groups.map((group) => {
    const chunk = group.flatChunks[column];
    return { rowStart: group.rowStart, rows: group.rows, bytes: group.columnBytes[column] ?? 0, ...(chunk ? { chunk } : {}) };
  });
  return { path: file.path, label: file.label, column, rows: file.rows, file: { ...file.file }, groups };
}

/** The files this thread has opened, by path and column: the footer is parsed once per thread. */
const opened = new Map<string, Promise<ParquetFile>>();

/** Opens the file as the loader did, and checks that its row groups are still the ones `stored` describes. */
function open(stored: StoredTexts): Promise<ParquetFile> {
  const key = `${stored.path}\n${stored.column}`;
  let file = opened.get(key);
  if (file === undefined) {
    // the loader's module, loaded only here: the direct reads below never need it
    file = import('./parquet.js').then(async ({ openParquet }) => {
      const parquet = await openParquet(stored.path, { [stored.column]: 'string' }, stored.label);
      const same =
        parquet.rows === stored.rows &&
        parquet.groups.length === stored.groups.length &&
        parquet.groups.every((group, i) => group.rowStart === stored.groups[i]!.rowStart && group.rows === stored.groups[i]!.rows);
      if (!same) {
        throw dataError('parquet_changed', `${stored.label}: ${stored.path} changed while it was being read (${parquet.rows} rows in ${parquet.groups.length} row groups, was ${stored.rows} in ${stored.groups.length}); run again`);
      }
      return parquet;
    });
    opened.set(key, file);
    // a failure is not kept: the next call tries again (and fails the same way if the file is still wrong)
    file.catch(() => opened.delete(key));
  }
  return file;
}

/**
 * The texts of row groups `first` to `end - 1`, in row order, decoded and checked as the loader's stream does, in
 * UTF-8 (see utf8-values.ts: the standard conversion of each to UTF-16 is the loader's string), with no JS string
 * made on the direct way.
 * They are collected in `into`'s memory, which the next call reuses: the views are valid until then, and a caller
 * makes one call at a time per sink.
 */
export async function readStoredUtf8(stored: StoredTexts, first: number, end: number, into: Utf8Sink, signal?: AbortSignal): Promise<Utf8Texts> {
  // the column chunks' uncompressed bytes: the values' bytes and more, unless a dictionary repeats long values
  let bytes = 0;
  let rows = 0;
  for (let group = first; group < end; group++) {
    bytes += stored.groups[group]!.bytes;
    rows += stored.groups[group]!.rows;
  }
  into.values.clearFor(bytes, rows);
  const direct = readDirect(stored, first, end, into, signal);
  if (direct < end) {
    const parquet = await open(stored);
    for await (const batch of parquet.readRowGroups({ [stored.column]: 'string' }, direct, end, signal)) {
      const texts = batch.columns[stored.column]!;
      for (let i = 0; i < texts.length; i++) into.values.pushString(texts[i]!);
    }
  }
  return into.values.view();
}

/**
 * Decodes row groups from `first` on into `into` straight from their chunks, as parquet.ts's own reader does, while
 * the file is as the loader found it and each chunk is one the own reader takes; returns where it stopped.
 */
function readDirect(stored: StoredTexts, first: number, end: number, into: Utf8Sink, signal?: AbortSignal): number {
  let group = first;
  if (!stored.groups.slice(first, end).some((info) => info.chunk)) return group;
  let fd: number;
  try {
    fd = openSync(stored.path, 'r');
  } catch {
    // the loader's open reports it
    return group;
  }
  try {
    const { size, mtimeMs } = fstatSync(fd);
    if (size !== stored.file.size || mtimeMs !== stored.file.mtimeMs) return group;
    for (; group < end; group++) {
      const { rowStart, rows, chunk } = stored.groups[group]!;
      if (chunk === undefined) break;
      throwIfAborted(signal);
      const kept = into.values.count;
      into.firstNull = -1;
      try {
        readFlatChunk(fd, chunk, rows, into);
      } catch (error) {
        // a chunk the own reader stops in is read by the loader: none of its values stay
        into.values.truncate(kept);
        if (error instanceof Unsupported) break;
        throw damagedRows(stored.label, stored.path, rowStart, rowStart + rows, error);
      }
      if (into.firstNull >= 0) throw invalidValue(stored.label, rowStart + into.firstNull, stored.column, 'string', true);
    }
  } finally {
    closeSync(fd);
  }
  return group;
}

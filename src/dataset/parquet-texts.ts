/**
 * A corpus's texts by row-group range, decodable on any thread: the BM25 analysis workers read the documents file
 * themselves, so the texts are neither decoded on the main thread nor copied to the workers (a structured clone of
 * every text, then its deserialization in the worker).
 */
import { dataError } from '../core/errors.js';
import type { StoredTexts } from '../core/types.js';
import { openParquet } from './parquet.js';
import type { ParquetFile } from './parquet.js';

/** Where `file`'s string column `column` is stored, for a reader on another thread. */
export function storedTexts(file: ParquetFile, column: string): StoredTexts {
  const groups = file.groups.map((group) => ({ rowStart: group.rowStart, rows: group.rows, bytes: group.columnBytes[column] ?? 0 }));
  return { path: file.path, label: file.label, column, rows: file.rows, groups };
}

/** The files this thread has opened, by path and column: the footer is parsed once per thread. */
const opened = new Map<string, Promise<ParquetFile>>();

/** Opens the file as the loader did, and checks that its row groups are still the ones `stored` describes. */
function open(stored: StoredTexts): Promise<ParquetFile> {
  const key = `${stored.path}\n${stored.column}`;
  let file = opened.get(key);
  if (file === undefined) {
    file = openParquet(stored.path, { [stored.column]: 'string' }, stored.label).then((parquet) => {
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

/** The texts of row groups `first` to `end - 1`, in row order, decoded and checked as the loader's stream does. */
export async function readStoredTexts(stored: StoredTexts, first: number, end: number, signal?: AbortSignal): Promise<string[]> {
  const parquet = await open(stored);
  const texts: string[] = [];
  for await (const batch of parquet.readRowGroups({ [stored.column]: 'string' }, first, end, signal)) {
    const values = batch.columns[stored.column]!;
    for (let i = 0; i < values.length; i++) texts.push(values[i]!);
  }
  return texts;
}

/**
 * What a decoded row group must hold, checked the same way by every reader of a parquet file (parquet.ts, and the
 * analysis workers' direct reads in parquet-texts.ts), so that a failure reads the same on any thread.
 */
import { dataError, type HarnessError } from '../core/errors.js';

export type ColumnKind = 'string' | 'string[]';

/** Every value is a string (a list of strings for `string[]`); a null is an error that names its row. */
export function checkValues(values: unknown[], kind: ColumnKind, name: string, rowStart: number, label: string): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const ok =
      kind === 'string'
        ? typeof value === 'string'
        : Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (!ok) throw invalidValue(label, rowStart + i, name, kind, value === null || value === undefined);
  }
}

/** The error for row `row`'s value of column `name`: a null (`isNull`) or a value of another type. */
export function invalidValue(label: string, row: number, name: string, kind: ColumnKind, isNull: boolean): HarnessError {
  return dataError('parquet_null', `${label}: row ${row} has ${isNull ? 'a null' : 'an invalid'} "${name}"${kind === 'string[]' ? ' (or a null list element)' : ''}`);
}

/** A row group whose pages do not decode: the file is damaged (exit 3), named with the rows. */
export function damagedRows(label: string, filePath: string, rowStart: number, rowEnd: number, error: unknown): HarnessError {
  return dataError('parquet_invalid', `${label}: cannot decode rows ${rowStart}-${rowEnd} of ${filePath} (${(error as Error).message}); the file is damaged: delete it and download again`, error);
}

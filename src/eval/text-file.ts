import { promises as fs } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dataError } from '../core/errors.js';

/** Reads a UTF-8 text file, gunzipping it when it starts with the gzip magic bytes (`run.txt.gz`). */
export async function readTextFile(filePath: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(filePath);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw dataError('file_unreadable', `cannot read ${what} ${filePath}: ${reason}`, error);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw dataError('file_unreadable', `${what} ${filePath} looks gzipped but does not decompress: ${(error as Error).message}`, error);
    }
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a byte-order mark is not part of the data
}

/**
 * Calls `onLine` with the whitespace-separated fields of every non-blank line (space, tab and a trailing CR all
 * separate, as in trec_eval) and the 1-based line number. At most `maxFields + 1` fields are collected, enough to
 * tell the caller a line has too many.
 */
export function forEachFieldLine(text: string, maxFields: number, onLine: (fields: string[], lineNumber: number) => void): void {
  let lineNumber = 0;
  let start = 0;
  const fields: string[] = [];
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNumber++;
    fields.length = 0;
    let i = start;
    while (i < end && fields.length <= maxFields) {
      while (i < end && isSeparator(text.charCodeAt(i))) i++;
      if (i === end) break;
      const fieldStart = i;
      while (i < end && !isSeparator(text.charCodeAt(i))) i++;
      fields.push(text.slice(fieldStart, i));
    }
    if (fields.length > 0) onLine(fields, lineNumber);
    start = end + 1;
  }
}

function isSeparator(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d;
}

/** A score as trec_eval and Python read it: decimal or exponent notation, or inf/infinity; never NaN. */
export function parseScore(text: string): number | undefined {
  const value = Number(text);
  if (Number.isNaN(value)) return infinity.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : undefined;
  // Number() also reads 0x.., 0b.., 0o..; only a letter in the second or third place can start one
  const letter = (text.charCodeAt(1) | 0x20) >= 0x61 || (text.charCodeAt(2) | 0x20) >= 0x61;
  return letter && radixPrefix.test(text) ? undefined : value;
}

const infinity = /^[+-]?inf(inity)?$/i;
const radixPrefix = /^[+-]?0[xbo]/i;

/** TREC files separate columns by whitespace, so an id containing any cannot be written to one. */
export function checkTrecToken(value: string, what: string, file: 'run' | 'qrels'): void {
  if (value === '' || /\s/.test(value)) {
    throw dataError(`${file}_unwritable`, `${what} "${value}" is empty or contains whitespace and cannot be written to a TREC ${file} file`);
  }
}

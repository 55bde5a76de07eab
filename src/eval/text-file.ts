import { closeSync, fstatSync, openSync, promises as fs, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dataError } from '../core/errors.js';

/**
 * V8 cannot make a string longer than about 2^29 characters (512 MiB of ASCII), so big files are decoded as a list
 * of pieces of at most this many bytes, cut after a newline (or, in a longer line, before a UTF-8 lead byte).
 * Parsers take the pieces in order; a Buffer holds the whole file (up to 4 GiB).
 */
export const PIECE_BYTES = 256 * 1024 * 1024;

/** Cuts `bytes` into UTF-8 strings of at most `maxBytes`, each ending at a line end where there is one. */
export function textPieces(bytes: Buffer, maxBytes = PIECE_BYTES): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + maxBytes);
    if (end < bytes.length) {
      const newline = bytes.lastIndexOf(0x0a, end - 1);
      if (newline >= start) end = newline + 1;
      else {
        // never split a character: back to its lead byte, or past its end when the piece would be empty
        while (end > start + 1 && (bytes[end]! & 0xc0) === 0x80) end--;
        while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end++;
      }
    }
    pieces.push(bytes.toString('utf8', start, end));
    start = end;
  }
  return pieces;
}

/**
 * Reads a UTF-8 text file as pieces (see PIECE_BYTES), gunzipping it when it starts with the gzip magic bytes
 * (`run.txt.gz`). A byte-order mark is dropped.
 */
export async function readTextPieces(filePath: string, what: string, maxBytes = PIECE_BYTES): Promise<string[]> {
  return textPieces(await readTextBytes(filePath, what), maxBytes);
}

/** The bytes of a UTF-8 text file, gunzipped when it starts with the gzip magic bytes, without a byte-order mark. */
export async function readTextBytes(filePath: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(filePath);
  } catch (error) {
    throw unreadable(filePath, what, error);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return gunzipped(bytes, filePath, what);
  // a byte-order mark is not part of the data
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.subarray(bom);
}

/** Bytes read per call by forEachLineBlock; a longer line grows the buffer. */
const BLOCK_BYTES = 1 << 20;

/**
 * Hands a UTF-8 text file to `onBlock` as blocks of whole lines (each ends with a newline but perhaps the last
 * one), read through one reused buffer: a block is only valid during the call. Reading a big file into one fresh
 * buffer costs more than parsing it where first-touching memory is dear (about 3 ms per MB on the machines
 * measured), so parsers that keep nothing of the text but what they copy out read this way. A gzipped file is
 * gunzipped whole and comes as one block. A byte-order mark is dropped. `onStart` gets the file size first;
 * `onBlock` returning false stops the reading; a promise it returns is awaited before the next read.
 */
export async function forEachLineBlock(
  filePath: string,
  what: string,
  onBlock: (block: Buffer) => boolean | void | Promise<boolean | void>,
  onStart?: (bytes: number) => void,
): Promise<void> {
  let handle: number;
  try {
    handle = openSync(filePath, 'r');
  } catch (error) {
    throw unreadable(filePath, what, error);
  }
  try {
    onStart?.(fstatSync(handle).size);
    let buffer = Buffer.allocUnsafe(BLOCK_BYTES);
    let held = 0;
    let first = true;
    for (;;) {
      if (held === buffer.length) {
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, held);
        buffer = grown;
      }
      let read: number;
      try {
        read = readSync(handle, buffer, held, buffer.length - held, null);
      } catch (error) {
        throw unreadable(filePath, what, error);
      }
      held += read;
      if (first && (held >= 3 || read === 0)) {
        first = false;
        if (held >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) {
          await onBlock(gunzipped(readWhole(filePath, what), filePath, what));
          return;
        }
        if (held >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) {
          buffer.copyWithin(0, 3, held);
          held -= 3;
        }
      }
      if (read === 0) {
        if (held > 0) await onBlock(buffer.subarray(0, held));
        return;
      }
      if (first) continue;
      const cut = buffer.lastIndexOf(0x0a, held - 1) + 1;
      if (cut > 0) {
        if ((await onBlock(buffer.subarray(0, cut))) === false) return;
        buffer.copyWithin(0, cut, held);
        held -= cut;
      }
    }
  } finally {
    closeSync(handle);
  }
}

function readWhole(filePath: string, what: string): Buffer {
  try {
    return readFileSync(filePath);
  } catch (error) {
    throw unreadable(filePath, what, error);
  }
}

// zlib is required only for a gzipped file: most runs and qrels are plain text, and loading it costs start-up time
const require = createRequire(import.meta.url);

function gunzipped(bytes: Buffer, filePath: string, what: string): Buffer {
  let text: Buffer;
  try {
    text = (require('node:zlib') as typeof import('node:zlib')).gunzipSync(bytes);
  } catch (error) {
    throw dataError('file_unreadable', `${what} ${filePath} looks gzipped but does not decompress: ${(error as Error).message}`, error);
  }
  const bom = text.length >= 3 && text[0] === 0xef && text[1] === 0xbb && text[2] === 0xbf ? 3 : 0;
  return text.subarray(bom);
}

function unreadable(filePath: string, what: string, error: unknown): Error {
  const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
  return dataError('file_unreadable', `cannot read ${what} ${filePath}: ${reason}`, error);
}

/** The same text as `pieces`, re-cut so that every piece but the last ends with a line end. */
export function* wholeLines(pieces: string | readonly string[]): Generator<string> {
  if (typeof pieces === 'string') {
    yield pieces;
    return;
  }
  let carry = '';
  for (const piece of pieces) {
    const text = carry + piece;
    const cut = text.lastIndexOf('\n') + 1;
    if (cut > 0) yield text.slice(0, cut);
    carry = text.slice(cut);
  }
  if (carry !== '') yield carry;
}

/**
 * Calls `onLine` with the whitespace-separated fields of every non-blank line (space, tab and a trailing CR all
 * separate, as in trec_eval) and the 1-based line number (counting `linesBefore` lines of earlier pieces). At most
 * `maxFields + 1` fields are collected, enough to tell the caller a line has too many. Returns the lines counted.
 */
export function forEachFieldLine(text: string, maxFields: number, onLine: (fields: string[], lineNumber: number) => void, linesBefore = 0): number {
  let lineNumber = linesBefore;
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
  return lineNumber;
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

/**
 * TREC files separate columns by whitespace, so an id containing any cannot be written to one. `queryId` names the
 * query of a document id in the message (passed apart, so the hot path builds no string).
 */
export function checkTrecToken(value: string, what: string, file: 'run' | 'qrels', queryId?: string): void {
  if (value === '' || /\s/.test(value)) {
    const whose = queryId === undefined ? what : `${what} (query ${queryId})`;
    throw dataError(`${file}_unwritable`, `${whose} "${value}" is empty or contains whitespace and cannot be written to a TREC ${file} file`);
  }
}

/**
 * A Buffer with Node's own methods behind `write(string, offset, length, 'utf16le')` and `toString('latin1' |
 * 'utf16le', start, end)`: lib/internal/buffer.js puts them on every Buffer, and the public methods call them after
 * dispatching on the encoding name and checking their arguments (@types/node does not declare them). Same bytes and
 * strings, lone surrogates included; test/core/unit-buffer.test.ts holds them to the public methods. The analyzer
 * calls them once per text on threads that start with a cold JIT, where the public methods first ran interpreted and
 * were then compiled into its hot function: ~4 % of the instructions of a first pass over the bench's 15 MB.
 */
export type UnitBuffer = Buffer & {
  /** Writes the string's UTF-16 units, as they are, at `offset` (`length` bytes at most); returns the bytes written. */
  ucs2Write(string: string, offset: number, length: number): number;
  /** The bytes [start, end) as UTF-16LE units, as they are. */
  ucs2Slice(start: number, end: number): string;
  /** The bytes [start, end), one unit each. */
  latin1Slice(start: number, end: number): string;
};

/** A UnitBuffer over `buffer`'s memory (no copy). */
export function unitBuffer(buffer: ArrayBuffer): UnitBuffer {
  return Buffer.from(buffer) as UnitBuffer;
}

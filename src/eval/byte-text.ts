/** Bytes from which bytes() takes its argument as a block rather than the parts of a line. */
const BLOCK = 1024;

/**
 * Text assembled as UTF-8 bytes, for files of millions of short lines (run.trec, score.json): no string per line
 * joined at the end (a heap object per line, and a second copy when the joined string is encoded). ASCII (ids,
 * numbers, JSON escapes) is copied unit by unit; a string with any other unit is encoded by Buffer.write.
 *
 * Given a `flush` sink, the text goes out in chunks of one reused buffer, which the sink must consume before it
 * returns (a synchronous write). Without one, the buffer grows to hold the whole text. Streaming matters: V8 runs a
 * full garbage collection for every ~100 MB of new off-heap memory, and with a run of a million documents in the
 * heap each one costs more than formatting the file.
 */
export class ByteText {
  private buffer: Buffer;
  private length = 0;

  constructor(private readonly flush?: (bytes: Uint8Array) => void, capacity = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Appends `text` as UTF-8. */
  text(text: string): void {
    this.copy(text, false);
  }

  /**
   * Appends `text` and tells whether it is one word, as a TREC column must be: not empty, no unit that `\s`
   * matches. (A caller given false discards the output.)
   */
  word(text: string): boolean {
    return this.copy(text, true) && text.length > 0;
  }

  /** Copies `text`; as a word, stops at the first whitespace unit and returns false. */
  private copy(text: string, asWord: boolean): boolean {
    const n = text.length;
    if (this.length + n > this.buffer.length) this.reserve(n);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const unit = text.charCodeAt(i);
      if (unit >= 0x80) {
        this.length = at;
        this.utf8(text.slice(i));
        return !asWord || !/\s/.test(text);
      }
      if (asWord && (unit === 0x20 || (unit >= 0x09 && unit <= 0x0d))) return false;
      buffer[at++] = unit;
    }
    this.length = at;
    return true;
  }

  /**
   * Appends `text` here and to `twin` in one pass if it is printable ASCII other than `"` and `\`, which a TREC
   * column and the inside of a JSON string both take as it is; otherwise appends nothing and returns false.
   */
  plainTwice(text: string, twin: ByteText): boolean {
    const n = text.length;
    if (this.length + n > this.buffer.length) this.reserve(n);
    if (twin.length + n > twin.buffer.length) twin.reserve(n);
    const buffer = this.buffer;
    const twinBuffer = twin.buffer;
    let at = this.length;
    let twinAt = twin.length;
    for (let i = 0; i < n; i++) {
      const unit = text.charCodeAt(i);
      if (unit <= 0x20 || unit > 0x7e || unit === 0x22 || unit === 0x5c) return false;
      buffer[at++] = unit;
      twinBuffer[twinAt++] = unit;
    }
    this.length = at;
    twin.length = twinAt;
    return n > 0;
  }

  /** Appends one byte (an ASCII character code). */
  byte(code: number): void {
    if (this.length === this.buffer.length) this.reserve(1);
    this.buffer[this.length++] = code;
  }

  /** Appends the first `length` bytes of `bytes` (text already encoded). */
  bytes(bytes: Uint8Array, length: number): void {
    if (length >= BLOCK) {
      this.block(bytes.subarray(0, length));
      return;
    }
    if (this.length + length > this.buffer.length) this.reserve(length);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < length; i++) buffer[at++] = bytes[i]!;
    this.length = at;
  }

  /**
   * A block of formatted lines (RunLines): given a sink, passed on as it is after what is buffered, which saves
   * copying it and the first writes to the pages of this buffer (a page fault each, costly on a VM); otherwise one
   * copy, not a loop.
   */
  private block(bytes: Uint8Array): void {
    if (this.flush) {
      if (this.length > 0) this.flush(this.buffer.subarray(0, this.length));
      this.length = 0;
      this.flush(bytes);
      return;
    }
    if (this.length + bytes.length > this.buffer.length) this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Appends a non-negative integer below 2^31 in decimal (a rank): its digits, without a string. */
  integer(value: number): void {
    let digits = 1;
    for (let power = 10; power <= value; power *= 10) digits++;
    if (this.length + digits > this.buffer.length) this.reserve(digits);
    let at = this.length + digits;
    this.length = at;
    const buffer = this.buffer;
    do {
      const next = (value / 10) | 0;
      buffer[--at] = 0x30 + value - next * 10;
      value = next;
    } while (value > 0);
  }

  /** Without a sink: the whole text. With one: what is left after the last flush, passed on; returns nothing. */
  end(): Buffer {
    const rest = this.buffer.subarray(0, this.length);
    this.length = 0;
    if (!this.flush) return rest;
    if (rest.length > 0) this.flush(rest);
    return Buffer.alloc(0);
  }

  private utf8(text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.length + bytes > this.buffer.length) this.reserve(bytes);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  private reserve(extra: number): void {
    if (this.flush && this.length > 0) {
      this.flush(this.buffer.subarray(0, this.length));
      this.length = 0;
    }
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

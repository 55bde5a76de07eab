import { randomFill } from 'node:crypto';

/** randomFill takes at most 2^31 - 1 bytes per call. */
const MAX_FILL = 1 << 30;

/**
 * Has a thread of the pool write every page of `bytes`, whose contents the caller is about to overwrite (random
 * bytes are the one thing Node writes into a caller's memory from the pool), so that this thread's later first
 * touch of each page is free. On the 2-core VM the first user-mode touch of a 4 KiB page costs ~6-15 us, and it
 * still does after the kernel has written the page (a read() into fresh memory): the kernel's writes and user code
 * fault separately. For a cached biology run's 16.6 MB index file that was ~25 ms of the main thread when it hashed
 * the file; with the pool's writes first it is ~0.5 ms, and the pool pays ~10 ms more in all.
 */
export async function prefault(bytes: ArrayBufferView): Promise<void> {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < view.length; at += MAX_FILL) {
    const part = view.subarray(at, Math.min(view.length, at + MAX_FILL));
    await new Promise<void>((resolve, reject) => randomFill(part, (error) => (error ? reject(error) : resolve())));
  }
}

/** Bytes per fill that PrefaultAhead issues: 64 pages (a thread of the pool writes them in well under a ms). */
const AHEAD_CHUNK = 1 << 18;

/**
 * A buffer this thread writes from the front, whose pages the pool's threads write (prefault) ahead of it.
 * `ready(end)` answers whether [0, end) may be written now: a fill still running there would overwrite what this
 * thread writes, so it returns a promise to await until every fill over the range has finished. It also issues fills,
 * in order, AHEAD_CHUNK bytes at a time, up to `ahead` bytes past `end`; none before the first ready(), so a caller
 * that never asks may write anywhere. [0, from) is never filled: the caller's from the start (its first values stay
 * as they were, e.g. a zero that must stay zero).
 */
export class PrefaultAhead {
  /** [0, issued) is the caller's or has had a fill issued. */
  private issued: number;
  /** [0, writable) may be written: every fill in it has finished. */
  private writable: number;
  /** Fills issued and not yet finished, in order: where each ends and when all up to it have finished. */
  private readonly fills: { end: number; finished: Promise<void> }[] = [];

  constructor(
    private readonly bytes: Uint8Array,
    from: number,
    private readonly ahead: number,
  ) {
    // nothing is issued until the caller first asks ready(): a caller that never does (TrecRunParser driven by
    // parseTrecRunTable, all in one synchronous push) wrote over fills issued here while they ran, and a fill that
    // landed after the write left random bytes in its document ids
    this.issued = this.writable = Math.min(from, bytes.length);
  }

  /** Undefined when [0, end) may be written now (past the buffer's end: all of it), else a promise to await first. */
  ready(end: number): Promise<void> | undefined {
    this.issue(end + this.ahead);
    const needed = Math.min(end, this.bytes.length);
    if (needed <= this.writable) return undefined;
    return this.fills.find((fill) => fill.end >= needed)!.finished;
  }

  private issue(to: number): void {
    const end = Math.min(to, this.bytes.length);
    while (this.issued < end) {
      const start = this.issued;
      const stop = Math.min(start + AHEAD_CHUNK, this.bytes.length);
      const before = this.fills.at(-1)?.finished;
      const fill = prefault(this.bytes.subarray(start, stop));
      // a failed fill wrote nothing that matters: the caller then faults those pages itself
      const finished = Promise.all([before, fill]).then(
        () => this.finish(stop),
        () => this.finish(stop),
      );
      this.fills.push({ end: stop, finished });
      this.issued = stop;
    }
  }

  private finish(end: number): void {
    // fills finish in order (each waits for the one before), so this is the first in the list
    this.fills.shift();
    this.writable = end;
  }
}

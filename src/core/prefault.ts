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

import { expect } from 'vitest';

/**
 * `toEqual` on typed arrays compares byte for byte. Vitest's own comparison walks a typed array element by element
 * through its generic `equals` (~1-5 µs each), and the BM25 tests compare indexes of several 400k-element arrays
 * many times: most of those files' time went there. Equal bytes in arrays of one type are equal elements (a float's
 * value is its bits), so nothing passes that passed no check before; only NaNs with different payloads, which
 * `Object.is` calls equal, now differ.
 */
function sameBytes(a: unknown, b: unknown): boolean | undefined {
  if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a instanceof DataView || b instanceof DataView) return undefined;
  if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// once per process: files that share a worker process (vitest.config.ts) run this setup file each, and vitest keeps
// the testers of earlier files
const registered = Symbol.for('reasonir.test.sameBytes');
const state = globalThis as { [registered]?: true };
if (!state[registered]) {
  expect.addEqualityTesters([sameBytes]);
  state[registered] = true;
}

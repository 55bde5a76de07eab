import { runLinesInstance, type RunLinesExports } from './run-lines.js';

/**
 * JavaScript's String(x) written as ASCII bytes at out[at..], for 1e-4 <= |x| < 1e16 (where it is a plain decimal,
 * and Python's repr is the same text, with `.0` added to an integral value); returns the end, or -1 where the
 * caller must use String(x) (outside that range, and integers above ~4.5e15 whose text depends on how a reader
 * rounds ties). The digits come from shortest_decimal in wasm/run-lines.c, which says why and how they are exact:
 * String(x) costs ~300 ns a score, and a JavaScript port of the same method ran unoptimised for most of the one
 * file a process writes.
 */
export function writeShortestDecimal(x: number, out: Uint8Array, at: number): number {
  decimals ??= scratch();
  const length = decimals.wasm.shortest_decimal_at(x, decimals.at);
  if (length < 0) return -1;
  const { text } = decimals;
  for (let i = 0; i < length; i++) out[at++] = text[i]!;
  return at;
}

/** An instance of its own, whose memory never grows: `text` stays a view of it. */
let decimals: { wasm: RunLinesExports; at: number; text: Uint8Array } | undefined;

function scratch(): { wasm: RunLinesExports; at: number; text: Uint8Array } {
  const wasm = runLinesInstance();
  const at = wasm.heap_base();
  return { wasm, at, text: new Uint8Array(wasm.memory.buffer, at, 32) };
}

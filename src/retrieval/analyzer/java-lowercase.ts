import { JAVA_LOWERCASE_PAIRS } from './generated/lucene-tables.js';

/**
 * Lucene's LowerCaseFilter: Java `Character.toLowerCase(int)` applied per code point (simple case mapping from the
 * JDK's tables, not JavaScript's full, context-sensitive `toLowerCase`: `İ` -> `i`, word-final `Σ` -> `σ`).
 * Every mapping keeps the UTF-16 length, as Lucene assumes.
 */

const bmpLower = new Uint16Array(0x10000).map((_, unit) => unit);
const astralLower = new Map<number, number>();
for (let i = 0; i < JAVA_LOWERCASE_PAIRS.length; i += 2) {
  const codePoint = JAVA_LOWERCASE_PAIRS[i]!;
  const lower = JAVA_LOWERCASE_PAIRS[i + 1]!;
  if (codePoint <= 0xffff) bmpLower[codePoint] = lower;
  else astralLower.set(codePoint, lower);
}

/** The mapping as this file reads it, for the WebAssembly copy of the filter (token-bags.ts). */
export const LOWERCASE_TABLES: { readonly bmpLower: Uint16Array; readonly astralLower: ReadonlyMap<number, number> } = { bmpLower, astralLower };

export function javaLowerCase(token: string): string {
  let changed = false;
  for (let i = 0; i < token.length; i++) {
    const unit = token.charCodeAt(i);
    if (bmpLower[unit] !== unit || (unit >= 0xd800 && unit <= 0xdbff)) {
      changed = true;
      break;
    }
  }
  if (!changed) return token;
  let out = '';
  for (let i = 0; i < token.length; ) {
    const codePoint = token.codePointAt(i)!;
    if (codePoint > 0xffff) {
      out += String.fromCodePoint(astralLower.get(codePoint) ?? codePoint);
      i += 2;
    } else {
      out += String.fromCharCode(bmpLower[codePoint]!);
      i += 1;
    }
  }
  return out;
}

/**
 * Compares two ids by Unicode code point, which is the order of their UTF-8 bytes and so of C's `strcmp` (what
 * trec_eval uses). Plain `<` compares UTF-16 code units and puts astral characters (surrogate pairs) before
 * U+E000..U+FFFF. Returns <0, 0 or >0.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return compareUnits(x, y);
  }
  return a.length - b.length;
}

/** The code-point order of two texts' first differing UTF-16 units `x` and `y` (<0 or >0). */
export function compareUnits(x: number, y: number): number {
  // Only when both units are >= U+D800 can UTF-16 order disagree with code point order.
  if (x >= 0xd800 && y >= 0xd800) return unitRank(x) - unitRank(y);
  return x - y;
}

/**
 * A UTF-16 unit's place in code-point order, 0 .. 0xffff (as `compareUnits` orders units): surrogates (part of
 * code points >= U+10000) move above U+E000..U+FFFF.
 */
export function unitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

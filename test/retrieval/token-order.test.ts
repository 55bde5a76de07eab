import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import { Utf16Interner } from '../../src/retrieval/analyzer/utf16-interner.js';
import { JoinedRuns, TokenOrder, type RunKeys } from '../../src/retrieval/bm25/token-order.js';
import { unitsOf } from '../helpers/utf16-units.js';

/** Units whose UTF-16 and code-point orders differ (U+E000..U+FFFF vs surrogates, lone or paired) among ASCII. */
const UNITS = [0x61, 0x62, 0x63, 0x0, 0x30, 0xe9, 0x3ffd, 0x3ffe, 0x4e2d, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdffe, 0xdfff, 0xe000, 0xfffe, 0xffff];

/**
 * The builder's order, written out independently of the code under test: units compared one by one, surrogates
 * (lone ones too, as the builder has always ordered them) above U+E000..U+FFFF, a prefix before its extensions.
 */
function reference(a: string, b: string): number {
  const rank = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return rank(a.charCodeAt(i)) - rank(b.charCodeAt(i));
  }
  return a.length - b.length;
}

describe('TokenOrder', () => {
  it('orders tokens as Python orders strings (by code point), whatever their shared prefixes and lengths', () => {
    const random = seededRandom(41);
    const tokens = new Set<string>(['a', 'aa', 'aaa', 'aaaa', 'aaab', 'aab', '\ud800', '\ud800\udc00', '\ue000', '\uffff\uffff\uffff\uffff']);
    while (tokens.size < 3000) {
      // short tokens over few units: many share their first units, or are prefixes of one another
      let token = '';
      const length = 1 + Math.floor(random() * (random() < 0.5 ? 4 : 9));
      for (let i = 0; i < length; i++) token += String.fromCharCode(UNITS[Math.floor(random() * (random() < 0.7 ? 3 : UNITS.length))]!);
      tokens.add(token);
    }
    const list = [...tokens];
    const interner = new Utf16Interner();
    const termOf = list.map((token) => interner.intern(unitsOf(token), 0, token.length));
    // the same tokens as a chunk's new terms travel, numbered from 500
    const ends = new Uint32Array(list.length);
    list.reduce((end, token, i) => (ends[i] = end + token.length), 0);
    const joined = new JoinedRuns(unitsOf(list.join('')), ends, 500);
    const sources: Array<[string, RunKeys, (index: number) => number, (term: number) => string]> = [
      ['interner', interner, (index) => termOf[index]!, (term) => interner.text(term)],
      ['joined', joined, (index) => 500 + index, (term) => list[term - 500]!],
    ];
    const order = new TokenOrder();
    const wrong: string[] = [];
    // groups of every size around the switch from insertion to merge sort, up to all tokens at once
    for (const size of [0, 1, 2, 3, 23, 24, 25, 26, 100, 777, 3000]) {
      for (let round = 0; round < 5; round++) {
        const picked = Array.from({ length: size }, () => Math.floor(random() * termOf.length));
        const unique = [...new Set(picked)];
        const expected = unique.map((index) => list[index]!).sort(reference);
        for (const [name, runs, termOfIndex, textOf] of sources) {
          // positions into a terms array, as the builder sorts them, inside a larger array
          const terms = Uint32Array.from(unique, termOfIndex);
          const positions = new Uint32Array(unique.length + 6).fill(99);
          unique.forEach((_, k) => (positions[3 + k] = k));
          order.sort(positions, 3, 3 + unique.length, terms, runs);
          const sorted = Array.from(positions.subarray(3, 3 + unique.length), (position) => textOf(terms[position]!));
          if (sorted.join('|') !== expected.join('|')) wrong.push(`${name} size ${size}: ${JSON.stringify(sorted.slice(0, 8))}`);
          if (positions[2] !== 99 || positions[3 + unique.length] !== 99) wrong.push(`${name} size ${size}: wrote outside its range`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

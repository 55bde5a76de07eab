import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../src/core/code-point-order.js';
import { CorpusIds } from '../../src/core/corpus-ids.js';
import { writeUtf8 } from '../../src/core/id-bytes.js';
import { seededRandom } from '../../src/core/seeded-random.js';

/** The plain definition: a Map of each id's first row, and every row of a repeated id -> that first row. */
function reference(ids: readonly string[]): { first: Map<string, number>; groups: Map<number, number> | null } {
  const first = new Map<string, number>();
  let groups: Map<number, number> | null = null;
  ids.forEach((id, row) => {
    const seen = first.get(id);
    if (seen === undefined) return void first.set(id, row);
    groups ??= new Map();
    groups.set(seen, seen);
    groups.set(row, seen);
  });
  return { first, groups };
}

/** The ids as the loader hands them over: their UTF-8 bytes one after the other, and an offset per id. */
function asUtf8(ids: readonly string[]): CorpusIds {
  const parts = ids.map((id) => Buffer.from(id, 'utf8'));
  const offsets = new Uint32Array(ids.length + 1);
  parts.forEach((part, row) => (offsets[row + 1] = offsets[row]! + part.length));
  // inside a larger buffer, as a decoder's memory is
  const bytes = Buffer.concat([Buffer.from('xyz'), ...parts, Buffer.from('tail')]);
  return CorpusIds.fromUtf8(bytes.subarray(3, 3 + offsets[ids.length]!), offsets);
}

function randomIds(random: () => number, size: number, alphabet: readonly string[], length: number): string[] {
  const ids = Array.from({ length: size }, () => Array.from({ length: 1 + Math.floor(random() * length) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join(''));
  if (size > 0) ids.push('', ids[0]!, `${ids[0]!}x`);
  return ids;
}

const SIZES = [0, 1, 2, 15, 16, 17, 1000, 20_000];

describe('CorpusIds', () => {
  it('finds every id and groups repeated ones as a Map of first rows does, in the order of second occurrences (ids given as strings)', () => {
    const random = seededRandom(7);
    const alphabet = ['a', 'b', 'Z', '0', '_', 'é', '\u4e00', '\ud83d\ude00', '\ud800', '\udbff', ' '];
    for (const size of SIZES) {
      // few distinct short ids for the small cases (many repeats and probe collisions), longer ones for the large
      const ids = randomIds(random, size, alphabet, size < 100 ? 2 : 6);
      const table = CorpusIds.of(ids);
      const expected = reference(ids);
      expect(table.length).toBe(ids.length);
      expect(table.groups === null ? null : [...table.groups]).toEqual(expected.groups === null ? null : [...expected.groups]);
      for (const [id, row] of expected.first) expect(table.rowOf(id)).toBe(row);
      // lone surrogates that differ are different ids
      for (const absent of ['absent', 'aa\u0000', 'ZZZZZZZZ', '\udc00', '\ud801']) expect(table.has(absent)).toBe(expected.first.has(absent));
      expect(table.strings()).toBe(ids);
      // one table per ids array
      expect(CorpusIds.of(ids)).toBe(table);
    }
  });

  it('ids given as UTF-8 bytes: the same rows, groups, strings and code point order as the strings they decode to', () => {
    const random = seededRandom(8);
    const alphabet = ['a', 'b', 'Z', '0', '_', '/', 'é', 'ß', '\u4e00', '\uffff', '\ue000', '\ud83d\ude00', '\udbff\udfff', ' ', '\u0000'];
    for (const size of SIZES) {
      const ids = randomIds(random, size, alphabet, size < 100 ? 2 : 8);
      const table = asUtf8(ids);
      const expected = reference(ids);
      expect(table.length).toBe(ids.length);
      expect(table.groups === null ? null : [...table.groups]).toEqual(expected.groups === null ? null : [...expected.groups]);
      for (const [id, row] of expected.first) expect(table.rowOf(id)).toBe(row);
      for (const absent of ['absent', 'aa\u0000', '\ud800', 'é\udc00', '\ud83d']) expect(table.rowOf(absent)).toBe(expected.first.get(absent) ?? -1);
      expect(ids.every((id, row) => table.id(row) === id)).toBe(true);
      expect(table.strings()).toEqual(ids);
      for (let k = 0; k < Math.min(ids.length * 3, 30_000); k++) {
        const a = Math.floor(random() * ids.length);
        const b = Math.floor(random() * ids.length);
        expect(Math.sign(table.compare(a, b))).toBe(Math.sign(compareCodePoints(ids[a]!, ids[b]!)));
      }
    }
  });

  it('tells unique ids apart however many share a slot', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `doc-${i}`);
    for (const table of [CorpusIds.of(ids), asUtf8(ids)]) {
      expect(table.groups).toBeNull();
      expect(ids.every((id, row) => table.rowOf(id) === row)).toBe(true);
      expect(table.has('doc-5000')).toBe(false);
      expect(table.has('doc-')).toBe(false);
    }
  });

  it('writes a string as UTF-8 (Buffer) and each lone surrogate as its own three bytes', () => {
    const random = seededRandom(9);
    const out = new Uint8Array(3 * 64);
    for (let k = 0; k < 5000; k++) {
      const text = String.fromCharCode(...Array.from({ length: Math.floor(random() * 20) }, () => {
        const pick = random();
        return pick < 0.5 ? Math.floor(random() * 0x80) : pick < 0.7 ? Math.floor(random() * 0x800) : Math.floor(random() * 0x10000);
      }));
      const end = writeUtf8(text, out, 0);
      // a well-formed string comes back from its UTF-8 bytes
      if (Buffer.from(text, 'utf8').toString('utf8') === text) expect(Buffer.from(out.subarray(0, end))).toEqual(Buffer.from(text, 'utf8'));
    }
    expect([...out.subarray(0, writeUtf8('a\ud800b\udc00\ud83d\ude00', out, 0))]).toEqual([0x61, 0xed, 0xa0, 0x80, 0x62, 0xed, 0xb0, 0x80, 0xf0, 0x9f, 0x98, 0x80]);
  });
});

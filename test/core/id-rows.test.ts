import { describe, expect, it } from 'vitest';
import { idRows } from '../../src/core/id-rows.js';
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

describe('idRows', () => {
  it('finds every id and groups repeated ones as a Map of first rows does, in the order of second occurrences', () => {
    const random = seededRandom(7);
    const alphabet = ['a', 'b', 'Z', '0', '_', 'é', '\u4e00', '\ud83d\ude00', '\ud800', ' '];
    for (const size of [0, 1, 2, 15, 16, 17, 1000, 20_000]) {
      // few distinct short ids for the small cases (many repeats and probe collisions), longer ones for the large
      const length = size < 100 ? 2 : 6;
      const ids = Array.from({ length: size }, () => Array.from({ length: 1 + Math.floor(random() * length) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join(''));
      if (size > 0) ids.push('', ids[0]!, `${ids[0]!}x`);
      const rows = idRows(ids);
      const expected = reference(ids);
      expect(rows.groups === null ? null : [...rows.groups]).toEqual(expected.groups === null ? null : [...expected.groups]);
      for (const id of expected.first.keys()) expect(rows.has(id)).toBe(true);
      for (const absent of ['absent', 'aa\u0000', 'ZZZZZZZZ', '\udc00']) expect(rows.has(absent)).toBe(expected.first.has(absent));
      // computed once per ids array
      expect(idRows(ids)).toBe(rows);
    }
  });

  it('tells unique ids apart however many share a slot', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `doc-${i}`);
    const rows = idRows(ids);
    expect(rows.groups).toBeNull();
    expect(ids.every((id) => rows.has(id))).toBe(true);
    expect(rows.has('doc-5000')).toBe(false);
    expect(rows.has('doc-')).toBe(false);
  });
});

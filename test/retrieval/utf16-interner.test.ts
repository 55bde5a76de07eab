import { describe, expect, it } from 'vitest';
import { Utf16Interner } from '../../src/retrieval/analyzer/utf16-interner.js';
import { hashUnits, tableCapacity } from '../../src/retrieval/bm25/term-table.js';
import { Vocabulary } from '../../src/retrieval/bm25/vocabulary.js';
import { compareCodePoints } from '../../src/core/code-point-order.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { unitsOf } from '../helpers/utf16-units.js';

/** Units from every range that packs differently: ASCII, Latin-1, the BMP's top bit, lone and paired surrogates. */
const UNITS = [0x61, 0x62, 0x7a, 0x30, 0x27, 0xe9, 0xff, 0x3b1, 0x4e2d, 0x8000, 0xfffe, 0xd83d, 0xde00, 0xdbff, 0xdc00];

function randomText(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(UNITS[Math.floor(random() * UNITS.length)]!);
  return text;
}

/** Substrings of one long text, short and long. */
function spans(random: () => number, text: string, count: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const length = random() < 0.8 ? Math.floor(random() * 16) : Math.floor(random() * 300);
    const start = Math.floor(random() * (text.length - length));
    out.push([start, start + length]);
  }
  return out;
}

describe('Utf16Interner', () => {
  it('interns alike in SharedArrayBuffers (shared: the BM25 builder\'s, which V8 does not count against the main thread\'s heap)', () => {
    const random = seededRandom(8);
    // 8-bit units, within the room: a wider unit or outgrowing the room moves the pool into new, unshared memory
    const text = Array.from({ length: 30_000 }, () => "abz0'"[Math.floor(random() * 5)]).join('');
    const units = unitsOf(text);
    const plain = new Utf16Interner(5_000, 10_000);
    const shared = new Utf16Interner(5_000, 10_000, true);
    const wrong: string[] = [];
    for (const [start, end] of spans(random, text, 2_000)) if (plain.intern(units, start, end) !== shared.intern(units, start, end)) wrong.push(text.slice(start, end));
    expect(wrong).toEqual([]);
    expect(shared.size).toBe(plain.size);
    const joined = shared.joined(shared.size);
    expect(joined.units.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(joined.units)).toEqual(Array.from(plain.joined(plain.size).units));
    expect(Array.from(shared.vocabularyTable(shared.size) ?? [])).toEqual(Array.from(plain.vocabularyTable(plain.size) ?? []));
  });

  it('numbers distinct substrings densely in order of first appearance and gives each one back', () => {
    const random = seededRandom(5);
    const text = randomText(random, 50_000);
    const units = unitsOf(text);
    const interner = new Utf16Interner();
    const order: string[] = [];
    const idOf = new Map<string, number>();
    const wrong: string[] = [];
    for (const [start, end] of spans(random, text, 40_000)) {
      const key = text.slice(start, end);
      if (!idOf.has(key)) {
        idOf.set(key, order.length);
        order.push(key);
      }
      if (interner.intern(units, start, end) !== idOf.get(key)) wrong.push(key);
    }
    expect(wrong).toEqual([]);
    expect(interner.size).toBe(order.length);
    expect(order.map((_, id) => interner.text(id))).toEqual(order);
  });

  it('keeps every id through many doublings at its load limit, and finds each key again from another string', () => {
    const random = seededRandom(9);
    const interner = new Utf16Interner();
    const keys: string[] = [];
    const seen = new Set<string>();
    // 150k distinct keys: short numbers-like keys (many per cache line) and random ones of every unit range
    while (keys.length < 150_000) {
      const key = random() < 0.5 ? keys.length.toString(36) : randomText(random, 1 + Math.floor(random() * 20));
      if (seen.has(key)) continue;
      seen.add(key);
      keys.push(key);
    }
    const wrong: string[] = [];
    keys.forEach((key, id) => {
      if (interner.intern(unitsOf(key), 0, key.length) !== id) wrong.push(key);
      // the key just added is found at once, and so is one added long before (hits across rehashes)
      if (interner.intern(unitsOf(`#${key}`), 1, key.length + 1) !== id) wrong.push(key);
      const old = Math.floor(random() * (id + 1));
      if (interner.intern(unitsOf(keys[old]!), 0, keys[old]!.length) !== old) wrong.push(keys[old]!);
    });
    keys.forEach((key, id) => {
      if (interner.intern(unitsOf(`${key}##`), 0, key.length) !== id) wrong.push(key);
    });
    expect(wrong).toEqual([]);
    expect(interner.size).toBe(keys.length);
    for (let id = 0; id < keys.length; id += 997) expect(interner.text(id)).toBe(keys[id]);
  });

  it('numbers the same when told to expect far fewer or far more substrings than it gets (sized up front)', () => {
    const random = seededRandom(6);
    const text = randomText(random, 60_000);
    const units = unitsOf(text);
    // [expected, room]: a room past the expected ids, or one the ids outgrow, changes nothing either
    const hints = [[0, 0], [10, 10], [15_000, 15_000], [200_000, 200_000], [10, 20], [5_000, 10_000], [15_000, 400_000]] as const;
    const interners = hints.map(([expected, room]) => new Utf16Interner(expected, room));
    const wrong: string[] = [];
    for (const [start, end] of spans(random, text, 30_000)) {
      const ids = interners.map((interner) => interner.intern(units, start, end));
      if (ids.some((id) => id !== ids[0])) wrong.push(text.slice(start, end));
    }
    expect(wrong).toEqual([]);
    const size = interners[0]!.size;
    expect(size).toBeGreaterThan(10_000);
    for (const interner of interners) {
      expect(interner.size).toBe(size);
      for (let id = 0; id < size; id++) if (interner.text(id) !== interners[0]!.text(id)) wrong.push(interner.text(id));
    }
    expect(wrong).toEqual([]);
  });

  it('reads ids back as strings do: length, units, code-point order, largest unit', () => {
    const random = seededRandom(17);
    const keys = [...new Set(Array.from({ length: 30_000 }, () => randomText(random, 1 + Math.floor(random() * 12))))];
    for (const expected of [0, 100_000]) {
      const interner = new Utf16Interner(expected);
      keys.forEach((key, id) => expect(interner.intern(unitsOf(key), 0, key.length)).toBe(id));
      let largest = 0;
      for (const key of keys) for (let i = 0; i < key.length; i++) largest = Math.max(largest, key.charCodeAt(i));
      expect(interner.largestUnit).toBe(largest);
      const copied = new Uint16Array(40);
      for (let id = 0; id < keys.length; id += 101) {
        const key = keys[id]!;
        expect(interner.length(id)).toBe(key.length);
        expect(interner.copy(id, copied, 3)).toBe(3 + key.length);
        expect(String.fromCharCode(...copied.subarray(3, 3 + key.length))).toBe(key);
        const other = (id * 7919) % keys.length;
        expect(Math.sign(interner.compare(id, other))).toBe(Math.sign(compareCodePoints(key, keys[other]!)));
        expect(interner.compare(id, id)).toBe(0);
      }
      // the newest id ends where the pool does: read back like any other, and still so once another follows it
      const last = keys.length - 1;
      for (const next of ['', 'z\u00e9z']) {
        if (next !== '') interner.intern(unitsOf(next), 0, next.length);
        expect([interner.length(last), interner.text(last)]).toEqual([keys[last]!.length, keys[last]]);
        expect(Math.sign(interner.compare(last, 0))).toBe(Math.sign(compareCodePoints(keys[last]!, keys[0]!)));
      }
    }
  });

  it('interns runs, and looks up joined runs, as intern does one by one: across batches, repeats, empty runs, rehashes', () => {
    const random = seededRandom(23);
    const text = randomText(random, 20_000);
    const pool: string[] = [];
    for (let i = 0; i < 9_000; i++) pool.push(text.slice(...spans(random, text, 1)[0]!));
    const one = new Utf16Interner();
    const all = new Utf16Interner();
    const wrong: string[] = [];
    // calls of every size around the batch: 0, 1, 255-257 runs, thousands (rehashes of a table that starts at 4k
    // slots fall inside a call), each interleaved with single interns into both
    for (const count of [0, 1, 255, 256, 257, 3_000, 5_000, 1, 700, 12_000]) {
      const runs = Array.from({ length: count }, () => (random() < 0.02 ? '' : pool[Math.floor(random() * pool.length)]!));
      // joined one after the other, and the same runs scattered among other units (explicit starts)
      const units = unitsOf(runs.join(''));
      const ends = new Uint32Array(count);
      runs.reduce((end, run, i) => (ends[i] = end + run.length), 0);
      const scattered = unitsOf(runs.join('#'));
      const starts = new Uint32Array(count);
      const scatteredEnds = new Uint32Array(count);
      runs.reduce((start, run, i) => ((starts[i] = start), (scatteredEnds[i] = start + run.length), start + run.length + 1), 0);
      const at = Math.floor(random() * 5);
      const before = new Int32Array(at + count + 3).fill(-7);
      all.lookUpAll(units, ends, before, at);
      const size = all.size;
      const ids = new Int32Array(count + 3).fill(-7);
      all.internAll(scattered, starts, scatteredEnds, count, ids);
      const after = new Int32Array(at + count + 3).fill(-7);
      all.lookUpAll(units, ends, after, at);
      runs.forEach((run, i) => {
        const id = one.intern(unitsOf(run), 0, run.length);
        // looked up before the call interned them: the id only of a run interned before
        if (before[at + i] !== (id < size ? id : -1)) wrong.push(`before ${run}`);
        if (ids[i] !== id || after[at + i] !== id) wrong.push(run);
      });
      expect([...before.subarray(0, at), ...before.subarray(at + count)]).toEqual(Array(at + 3).fill(-7));
      expect([...ids.subarray(count)]).toEqual([-7, -7, -7]);
      const single = pool[Math.floor(random() * pool.length)]!;
      if (all.intern(unitsOf(single), 0, single.length) !== one.intern(unitsOf(single), 0, single.length)) wrong.push(single);
    }
    expect(wrong).toEqual([]);
    expect(all.size).toBe(one.size);
    expect(all.size).toBeGreaterThan(5_000);
    for (let id = 0; id < all.size; id++) if (all.text(id) !== one.text(id)) wrong.push(one.text(id));
    expect(wrong).toEqual([]);
  });

  it('gives the units of its first ids joined, 8-bit while every unit interned fits', () => {
    const random = seededRandom(29);
    for (const wide of [false, true]) {
      const keys = [...new Set(Array.from({ length: 5_000 }, () => randomText(random, Math.floor(random() * 12)).replace(/[^a-z0-9'\u00e9\u00ff]/g, wide ? '\u4e2d' : '')))];
      const interner = new Utf16Interner();
      for (const key of keys) interner.intern(unitsOf(key), 0, key.length);
      for (const count of [0, 1, 1_000, keys.length]) {
        const { units, offsets } = interner.joined(count);
        expect(units).toBeInstanceOf(wide ? Uint16Array : Uint8Array);
        expect([...offsets]).toEqual(keys.slice(0, count).reduce((at, key) => [...at, at.at(-1)! + key.length], [0]));
        expect(String.fromCharCode(...units)).toBe(keys.slice(0, count).join(''));
      }
    }
  });

  it('widens its pool at the first unit past 8 bits, anywhere: ids, lookups, order and joined units stay as they were', () => {
    const random = seededRandom(31);
    const narrow = [...new Set(Array.from({ length: 20_000 }, () => randomText(random, 1 + Math.floor(random() * 10)).replace(/[^a-z0-9'\u00e9\u00ff]/g, '')))];
    // the first wide keys hold the smallest units past 8 bits only
    const wide = ['\u0100', 'a\u0100\u00ff', ...new Set(Array.from({ length: 3_000 }, () => randomText(random, 1 + Math.floor(random() * 10))))].filter((key) => /[^\u0000-\u00ff]/.test(key));
    // the first wide key alone (intern), inside a batch of internAll (after 8-bit keys of the same call), or only
    // once the pool has outgrown its room and the table has rehashed
    for (const [widenAt, room] of [[0, 0], [300, 0], [12_345, 50_000], [19_000, 0]] as const) {
      const keys = [...narrow.slice(0, widenAt), ...wide, ...narrow.slice(widenAt)];
      const interner = new Utf16Interner(room, room);
      const before = interner.joined(0);
      const single = Math.min(widenAt, 100);
      keys.slice(0, single).forEach((key, id) => expect(interner.intern(unitsOf(key), 0, key.length)).toBe(id));
      const earlier = interner.joined(single);
      const rest = keys.slice(single);
      const starts = new Uint32Array(rest.length);
      const ends = new Uint32Array(rest.length);
      rest.reduce((at, key, k) => ((starts[k] = at), (ends[k] = at + key.length), at + key.length), 0);
      const ids = new Int32Array(rest.length);
      interner.internAll(unitsOf(rest.join('')), starts, ends, rest.length, ids);
      expect(ids).toEqual(Int32Array.from(rest, (_, k) => single + k));
      const found = new Int32Array(keys.length);
      const allEnds = new Uint32Array(keys.length);
      keys.reduce((end, key, id) => (allEnds[id] = end + key.length), 0);
      interner.lookUpAll(unitsOf(keys.join('')), allEnds, found, 0);
      expect(found).toEqual(Int32Array.from(keys, (_, id) => id));
      const wrong = keys.filter((key, id) => interner.text(id) !== key || interner.length(id) !== key.length);
      expect(wrong).toEqual([]);
      for (let id = 0; id < keys.length; id += 37) {
        const other = (id * 7919) % keys.length;
        expect(Math.sign(interner.compare(id, other))).toBe(Math.sign(compareCodePoints(keys[id]!, keys[other]!)));
      }
      // views taken while the pool was 8-bit still hold their keys; the whole is 16-bit now
      expect([before.units.length, [...before.offsets]]).toEqual([0, [0]]);
      expect(earlier.units).toBeInstanceOf(single > 0 && widenAt === 0 ? Uint16Array : Uint8Array);
      expect(String.fromCharCode(...earlier.units)).toBe(keys.slice(0, single).join(''));
      const all = interner.joined(keys.length);
      expect(all.units).toBeInstanceOf(Uint16Array);
      // views of the pool and the starts: no copy per call
      expect(all.units.buffer).toBe(interner.joined(1).units.buffer);
      expect(all.offsets.buffer).toBe(interner.joined(1).offsets.buffer);
      expect(String.fromCharCode(...all.units)).toBe(keys.join(''));
      expect(all.offsets[keys.length]).toBe(all.units.length);
    }
  });

  it('gives its table away once done: then interns and looks up nothing, and reads ids back as before', () => {
    const keys = ['alpha', 'beta', '\u00e9t\u00e9', ''];
    const interner = new Utf16Interner(3_000);
    keys.forEach((key, id) => expect(interner.intern(unitsOf(key), 0, key.length)).toBe(id));
    const table = interner.spareTable();
    // the whole table (an id a slot, a power of two at least twice the ids expected), written where keys went
    expect(table.length).toBe(8_192);
    expect(table.filter((id) => id >= 0).length).toBe(keys.length);
    expect(() => interner.intern(unitsOf('alpha'), 0, 5)).toThrow(/table was given away/);
    expect(() => interner.lookUpAll(unitsOf('alpha'), Uint32Array.of(5), new Int32Array(1), 0)).toThrow(/table was given away/);
    expect(() => interner.internAll(unitsOf('gamma'), Uint32Array.of(0), Uint32Array.of(5), 1, new Int32Array(1))).toThrow(/table was given away/);
    expect(keys.map((_, id) => interner.text(id))).toEqual(keys);
    expect(String.fromCharCode(...interner.joined(keys.length).units)).toBe(keys.join(''));
  });

  it('tells apart keys whose hashes are equal, of equal and of different lengths', () => {
    // found by a birthday search over short lowercase keys (FNV-1a)
    const pairs = [['gvlpr', 'yomzd'], ['ivlxx', 'abdvma']] as const;
    for (const [a, b] of pairs) expect(hashUnits(unitsOf(a), 0, a.length)).toBe(hashUnits(unitsOf(b), 0, b.length));
    for (const [a, b] of [...pairs, ...pairs.map(([a, b]) => [b, a] as const)]) {
      const interner = new Utf16Interner();
      const ids = new Int32Array(4);
      const ends = new Uint32Array([a.length, a.length + b.length, 2 * a.length + b.length, 2 * (a.length + b.length)]);
      interner.internAll(unitsOf(a + b + a + b), new Uint32Array([0, ...ends.subarray(0, 3)]), ends, 4, ids);
      expect([...ids]).toEqual([0, 1, 0, 1]);
      const found = new Int32Array(3);
      interner.lookUpAll(unitsOf(b + a + b.slice(1)), new Uint32Array([b.length, a.length + b.length, a.length + 2 * b.length - 1]), found, 0);
      expect([...found]).toEqual([1, 0, -1]);
      // nothing interned yet: every run is looked up as new, only the ids asked for are written, nothing is interned
      const empty = new Utf16Interner();
      const none = new Int32Array(6).fill(7);
      empty.lookUpAll(unitsOf(a + b + a), new Uint32Array([a.length, a.length + b.length, a.length + b.length, 2 * a.length + b.length]), none, 1);
      expect([[...none], empty.size]).toEqual([[7, -1, -1, -1, -1, 7], 0]);
      expect([interner.intern(unitsOf(b), 0, b.length), interner.intern(unitsOf(a), 0, a.length), interner.text(0), interner.text(1)]).toEqual([1, 0, a, b]);
    }
  });

  it('holds the vocabulary table of its ids when they were interned in id order, rehashes and all, and gives it away', () => {
    const random = seededRandom(37);
    const keys = [...new Set(Array.from({ length: 40_000 }, () => randomText(random, Math.floor(random() * 9))))];
    expect(keys.length).toBeGreaterThan(20_001);
    // [expected, count]: from an empty table through many rehashes, from the expected size exactly, and a table
    // sized for more ids than came (the vocabulary's is smaller: none given, it builds its own)
    for (const [expected, count] of [[0, keys.length], [0, 1_000], [20_000, 20_001], [40_000, 20_000], [0, 0]] as const) {
      const interner = new Utf16Interner(expected);
      const joined = keys.slice(0, count).join('');
      const ends = new Uint32Array(count);
      keys.slice(0, count).reduce((end, key, k) => (ends[k] = end + key.length), 0);
      const ids = new Int32Array(count);
      interner.internAll(unitsOf(joined), Uint32Array.from(ends, (end, k) => end - keys[k]!.length), ends, count, ids);
      const { units, offsets } = interner.joined(count);
      const built = new Vocabulary(units, offsets).slots;
      const fits = tableCapacity(expected) <= tableCapacity(count);
      // another count of ids than it holds: never its table
      expect(interner.vocabularyTable(count + 1)).toBeNull();
      const table = interner.vocabularyTable(count);
      if (fits) expect(table).toEqual(built);
      else expect(table).toBeNull();
      if (fits) expect(() => interner.intern(unitsOf('x'), 0, 1)).toThrow(/table was given away/);
      const vocabulary = new Vocabulary(units, offsets, table);
      for (let id = 0; id < count; id += 211) expect(vocabulary.id(keys[id]!)).toBe(id);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { decodePlainStrings, decodeStrings } from '../../src/dataset/page-strings.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { inPageMemory } from './support.js';

const reference = new TextDecoder();
const utf8 = new TextEncoder();

/** Lays `values` out as a parquet PLAIN page does (4-byte length, bytes) and returns views into that one page. */
function plainPage(values: Uint8Array[]): Uint8Array[] {
  const page = new Uint8Array(values.reduce((sum, value) => sum + 4 + value.length, 0));
  const views: Uint8Array[] = [];
  let offset = 0;
  for (const value of values) {
    new DataView(page.buffer).setUint32(offset, value.length, true);
    page.set(value, offset + 4);
    views.push(page.subarray(offset + 4, offset + 4 + value.length));
    offset += 4 + value.length;
  }
  return views;
}

const bytes = (...list: number[]) => Uint8Array.from(list);
const awkward = [
  utf8.encode(''),
  utf8.encode('plain ascii, long enough to be sliced'),
  utf8.encode('short'),
  utf8.encode('caf\u00e9 na\u00efve \u00b0C'), // latin1-range only
  utf8.encode('curly \u2019quotes\u2019 and \u2014 dashes'),
  utf8.encode('emoji \u{1F9EC} and \u{1D400} outside the BMP'),
  utf8.encode('\ufeffstarts with a byte-order mark'), // TextDecoder strips it
  utf8.encode('inner \ufeff mark stays'),
  bytes(0x61, 0x80, 0x62), // lone continuation byte
  bytes(0x61, 0xc3), // truncated sequence at the end...
  bytes(0xa9, 0x62), // ...and a continuation at the next value's start (together they would be "é")
  bytes(0xed, 0xa0, 0x80), // encoded surrogate
  bytes(0xc0, 0xaf), // overlong
  bytes(0xf4, 0x90, 0x80, 0x80), // above U+10FFFF
  bytes(0xef, 0xbb), // half a byte-order mark
];

function randomValue(next: () => number): Uint8Array {
  const pieces = ['a', 'Z', ' ', '7', '\n', '\u00e9', '\u00ff', '\u0100', '\u2019', '\u4e2d', '\u{1F600}', '\ufeff'];
  const length = Math.floor(next() * 40);
  let text = '';
  for (let i = 0; i < length; i++) text += pieces[Math.floor(next() * (next() < 0.8 ? 5 : pieces.length))]!;
  const encoded = utf8.encode(text);
  if (next() < 0.1 && encoded.length > 0) encoded[Math.floor(next() * encoded.length)] = 0x80 + Math.floor(next() * 0x80);
  return encoded;
}

describe('decodeStrings', () => {
  it('decodes every value as TextDecoder does, malformed bytes and byte-order marks included', () => {
    const views = plainPage(awkward);
    const values: unknown[] = [...views];
    decodeStrings(values);
    expect(values).toEqual(views.map((view) => reference.decode(view)));
  });

  it('matches TextDecoder on random pages, with nulls, several pages and repeated dictionary entries', () => {
    const next = seededRandom(15);
    for (let round = 0; round < 200; round++) {
      const pages = Array.from({ length: 1 + Math.floor(next() * 3) }, () => plainPage(Array.from({ length: Math.floor(next() * 30) }, () => randomValue(next))));
      const values: unknown[] = [];
      for (const page of pages) {
        const dictionary = next() < 0.3;
        for (let i = 0; i < page.length; i++) {
          if (next() < 0.05) values.push(next() < 0.5 ? null : undefined);
          // a dictionary-encoded page references its entries in any order, some several times
          values.push(dictionary ? page[Math.floor(next() * page.length)] : page[i]);
        }
      }
      const expected = values.map((value) => (value instanceof Uint8Array ? reference.decode(value) : value));
      decodeStrings(values);
      expect(values).toEqual(expected);
    }
  });

  it('splits a page into parents of bounded size, values longer than the bound included', () => {
    const next = seededRandom(7);
    const big = new Uint8Array(200_000).fill(0x61);
    big[5] = 0xc3; // non-ASCII
    big[6] = 0xa9;
    const middling = Array.from({ length: 40 }, () => {
      const value = utf8.encode('x\u2019y '.repeat(500 + Math.floor(next() * 3000)));
      return next() < 0.5 ? value : value.map((byte) => (byte >= 0x80 ? 0x61 : byte));
    });
    const views = plainPage([big, ...middling, big.subarray(0, 70_000), big.subarray(7, 50_000), ...middling.slice(3, 9)]);
    const values: unknown[] = [...views];
    decodeStrings(values);
    expect(values).toEqual(views.map((view) => reference.decode(view)));
  });
});

/** A PLAIN page of `values` inside a buffer with `before` bytes ahead of it and a few behind (not the page's). */
/**
 * `values` as a PLAIN page in the own reader's memory, after `before` other bytes and followed by bytes that would
 * be malformed, with the page loops' scratch room for `count` values (the values' count unless given).
 */
function plainBytes(values: Uint8Array[], before: number, count = values.length): { page: Buffer; at: number; end: number; scratch: number } {
  const size = values.reduce((sum, value) => sum + 4 + value.length, 0);
  const bytes = Buffer.alloc(before + size + 8, 0xc3);
  let offset = before;
  for (const value of values) {
    bytes.writeUInt32LE(value.length, offset);
    bytes.set(value, offset + 4);
    offset += 4 + value.length;
  }
  const { page, base, scratch } = inPageMemory(bytes, count);
  return { page, at: base + before, end: base + before + size, scratch };
}

describe('decodePlainStrings', () => {
  it('decodes every value as TextDecoder does, malformed bytes and byte-order marks included', () => {
    const { page, at, end, scratch } = plainBytes(awkward, 5);
    const out: unknown[] = ['kept'];
    decodePlainStrings(page, at, end, awkward.length, out, 1, scratch);
    expect(out).toEqual(['kept', ...awkward.map((value) => reference.decode(value))]);
  });

  it('matches TextDecoder on random pages: all-ASCII and mixed runs, empty values, runs cut at the parent bound', () => {
    const next = seededRandom(21);
    for (let round = 0; round < 200; round++) {
      const values = Array.from({ length: Math.floor(next() * 60) }, () => {
        const value = randomValue(next);
        if (next() < 0.05) return utf8.encode('long ascii '.repeat(500 + Math.floor(next() * 4000)));
        // ASCII-only values make whole runs ASCII (the one-call path), others mix in the rest
        return round % 2 === 0 ? value.map((byte) => byte & 0x7f) : value;
      });
      const { page, at, end, scratch } = plainBytes(values, Math.floor(next() * 9));
      const out: unknown[] = [];
      decodePlainStrings(page, at, end, values.length, out, 0, scratch);
      expect(out).toEqual(values.map((value) => reference.decode(value)));
    }
  });

  it('decodes runs holding NULs, byte-order marks and malformed bytes at value edges as TextDecoder does', () => {
    const withoutMark = awkward.filter((value) => !(value[0] === 0xef && value[1] === 0xbb && value[2] === 0xbf));
    const nul = (...list: number[]) => Uint8Array.from(list);
    const cases = [
      withoutMark, // malformed bytes that would join into one character across two values
      [...withoutMark, utf8.encode('\ufeffmark after the first')],
      [utf8.encode('\ufeffmark first \u2019'), ...withoutMark],
      [utf8.encode('ends with NUL \u2019\0'), utf8.encode('\u2019 next')],
      [utf8.encode('\0starts with NUL \u2019'), utf8.encode('\u2019 next')],
      [utf8.encode('four NULs \0\0\0\0 inside \u2019'), utf8.encode('\u2019 next'), utf8.encode('plain')],
      [utf8.encode('three NULs \0\0\0 inside \u2019'), utf8.encode('\u2019 next\0\0')],
      [nul(0xc3), nul(0xa9), nul(0xe2, 0x80), nul(0x99, 0x61)],
    ];
    for (const values of cases) {
      const { page, at, end, scratch } = plainBytes(values, 2);
      const out: unknown[] = [];
      decodePlainStrings(page, at, end, values.length, out, 0, scratch);
      expect(out).toEqual(values.map((value) => reference.decode(value)));
    }
  });

  it('takes a value longer than the parent bound whole, between short ones', () => {
    const big = new Uint8Array(200_000).fill(0x61);
    const accented = utf8.encode('\u00e9'.repeat(40_000));
    const values = [utf8.encode('a'), big, utf8.encode('b\u2019'), accented, big.subarray(0, 32_768), utf8.encode('c')];
    const { page, at, end, scratch } = plainBytes(values, 0);
    const out: unknown[] = [];
    decodePlainStrings(page, at, end, values.length, out, 0, scratch);
    expect(out).toEqual(values.map((value) => reference.decode(value)));
  });

  it('throws on a value or length that runs past the page', () => {
    const values = [utf8.encode('first'), utf8.encode('second')];
    let { page, at, end, scratch } = plainBytes(values, 3, 3);
    expect(() => decodePlainStrings(page, at, end, 3, [], 0, scratch)).toThrow('parquet PLAIN byte array truncated');
    ({ page, at, end, scratch } = plainBytes(values, 3));
    expect(() => decodePlainStrings(page, at, end - 1, 2, [], 0, scratch)).toThrow('parquet PLAIN byte array truncated');
  });

  it('refuses a page outside the page loops\' memory (they would read another page)', () => {
    const { page, at, end, scratch } = plainBytes([utf8.encode('value')], 0);
    expect(() => decodePlainStrings(Buffer.from(page.subarray(0, end)), at, end, 1, [], 0, scratch)).toThrow('a page outside their memory');
  });
});

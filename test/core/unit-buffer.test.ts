import { describe, expect, it } from 'vitest';
import { unitBuffer } from '../../src/core/unit-buffer.js';

// one-byte text, every Latin-1 unit, BMP units past 0xff, a pair, lone high and low surrogates (at the ends too)
const TEXTS = [
  '',
  'plain ASCII text',
  Array.from({ length: 256 }, (_, unit) => String.fromCharCode(unit)).join(''),
  'caf\u00e9 \u0130stanbul \u03a3\u03bf\u03c6\u03af\u03b1 \u4e2d\u6587 \ud83d\ude00 \uff07s',
  '\udc00lone low, then lone high\ud800',
  '\ud800\ud800\udc00\udc00',
];

describe('unitBuffer', () => {
  it("writes a string's units as write(…, 'utf16le') does, at any offset, cut at the length given", () => {
    for (const text of TEXTS) {
      for (const offset of [0, 2, 7]) {
        const size = offset + text.length * 2 + 5;
        for (const length of [text.length * 2, text.length, 3, size - offset]) {
          const expected = Buffer.alloc(size, 0xaa);
          const written = expected.write(text, offset, length, 'utf16le');
          const actual = unitBuffer(new ArrayBuffer(size));
          actual.fill(0xaa);
          expect(actual.ucs2Write(text, offset, length)).toBe(written);
          expect(Buffer.compare(actual, expected)).toBe(0);
        }
      }
    }
  });

  it("reads units back as toString('utf16le' | 'latin1', start, end) does", () => {
    for (const text of TEXTS) {
      const wide = unitBuffer(new ArrayBuffer(text.length * 2 + 4));
      wide.write(text, 2, 'utf16le');
      expect(wide.ucs2Slice(2, 2 + text.length * 2)).toBe(text);
      expect(wide.ucs2Slice(2, 2 + text.length * 2)).toBe(wide.toString('utf16le', 2, 2 + text.length * 2));
    }
    const bytes = unitBuffer(new ArrayBuffer(258));
    for (let at = 0; at < 258; at++) bytes[at] = at & 0xff;
    for (const [start, end] of [[0, 258], [1, 1], [3, 200], [250, 258]] as const) {
      expect(bytes.latin1Slice(start, end)).toBe(bytes.toString('latin1', start, end));
    }
  });

  it('views the memory it is given, without a copy', () => {
    const memory = new ArrayBuffer(16);
    unitBuffer(memory).ucs2Write('hi', 4, 4);
    expect(Array.from(new Uint16Array(memory, 4, 2))).toEqual([0x68, 0x69]);
  });
});

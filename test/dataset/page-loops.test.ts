/**
 * The own reader's page loops (src/dataset/page-loops.ts, WebAssembly in hysnappy's memory). Dictionary indices
 * against hyparquet's readRleBitPackedHybrid on what hyparquet-writer's encoder writes: every width taken, runs of
 * one value (8 or more equal values) among bit-packed groups, counts that are not a multiple of 8, a page's indices
 * after other bytes, and truncated input; the largest index and runs of consecutive entries. (Value spans and
 * moving values together: page-strings.test.ts, flat-strings.test.ts and parquet-texts.test.ts, against TextDecoder
 * and hyparquet.)
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { MAX_INDEX_WIDTH, pageLoops } from '../../src/dataset/page-loops.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { inPageMemory } from './support.js';

/**
 * The loops' decoding of `bytes[at, end)` into `out` (through their memory); also checks the largest index they
 * return.
 */
function readIndices(bytes: Uint8Array, at: number, end: number, width: number, out: Uint32Array): void {
  const { page, base, scratch } = inPageMemory(bytes, out.length);
  const decoded = new Uint32Array(page.buffer, scratch, out.length);
  const largest = pageLoops().readIndices(base + at, base + end, width, decoded);
  out.set(decoded);
  expect(largest).toBe(Math.max(...out));
}

/** `values` in the loops' memory. */
function inMemory(values: number[]): Uint32Array {
  const { page, scratch } = inPageMemory(new Uint8Array(0), values.length);
  const view = new Uint32Array(page.buffer, scratch, values.length);
  view.set(values);
  return view;
}

function encode(values: number[], width: number): Uint8Array {
  const writer = new ByteWriter();
  writeRleBitPackedHybrid(writer, values, width);
  return writer.getBytes();
}

/** Values below 2^width: random ones, with runs of one value (some long enough to be written as runs). */
function indices(count: number, width: number, seed: number): number[] {
  const next = seededRandom(seed);
  const top = 2 ** width;
  const values: number[] = [];
  while (values.length < count) {
    const value = Math.floor(next() * top);
    const repeat = next() < 0.3 ? 1 + Math.floor(next() * 40) : 1;
    for (let i = 0; i < repeat && values.length < count; i++) values.push(next() < 0.1 ? top - 1 : value);
  }
  return values;
}

function viaHyparquet(bytes: Uint8Array, width: number, count: number): Uint32Array {
  const out = new Uint32Array(count);
  readRleBitPackedHybrid({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }, width, out, bytes.length);
  return out;
}

describe('dictionary indices (RLE / bit-packed hybrid)', () => {
  it.each(Array.from({ length: MAX_INDEX_WIDTH }, (_, i) => i + 1))('width %i: the values hyparquet decodes', (width) => {
    for (const count of [1, 7, 8, 9, 250, 1000, 1003]) {
      const values = indices(count, width, width * 7919 + count);
      const encoded = encode(values, width);
      // after other bytes, as on a page (the width byte before them)
      const page = new Uint8Array(encoded.length + 5);
      page.set(encoded, 5);
      const out = new Uint32Array(count);
      readIndices(page, 5, page.length, width, out);
      expect(Array.from(out)).toEqual(values);
      expect(out).toEqual(viaHyparquet(encoded, width, count));
    }
  });

  it('a run longer than the values asked for fills them and stops, as hyparquet does', () => {
    for (const width of [1, 9, 24]) {
      const runs = encode([...Array<number>(20).fill(3), ...Array<number>(16).fill(2 ** width - 1)], width);
      for (const count of [5, 20, 23, 36]) {
        const out = new Uint32Array(count);
        readIndices(runs, 0, runs.length, width, out);
        expect(out).toEqual(viaHyparquet(runs, width, count));
      }
    }
  });

  it('indices cut short are an error, not values read from past the page', () => {
    for (const width of [3, 10, 17]) {
      const values = indices(100, width, width);
      const encoded = encode(values, width);
      for (const cut of [1, 2, encoded.length - 1]) {
        expect(() => readIndices(encoded, 0, cut, width, new Uint32Array(100))).toThrow('parquet dictionary indices truncated');
        expect(() => viaHyparquet(encoded.subarray(0, cut), width, 100)).toThrow();
      }
    }
  });
});

describe('largest and runs of consecutive entries', () => {
  it('largest: the maximum (indices up to 2^24 and beyond), -1 for none', () => {
    const loops = pageLoops();
    expect(loops.largest(inMemory([]))).toBe(-1);
    expect(loops.largest(inMemory([0]))).toBe(0);
    expect(loops.largest(inMemory([5, 2 ** 24 + 3, 7, 2 ** 30]))).toBe(2 ** 30);
    expect(loops.largest(inMemory([9, 3, 9, 1]))).toBe(9);
  });

  it('runEnd: where the run of consecutive entries from `next` ends', () => {
    const loops = pageLoops();
    const indices = inMemory([4, 5, 6, 0, 1, 9, 9, 10, 3]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((next) => loops.runEnd(indices, next))).toEqual([3, 3, 3, 5, 5, 6, 8, 8, 9]);
  });

  it('refuses indices outside their memory', () => {
    expect(() => pageLoops().runEnd(new Uint32Array(4), 0)).toThrow('a view of another memory');
  });
});

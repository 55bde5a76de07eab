import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfToFloat, widenHalves } from '../../src/encode/half-float.js';
import { openNpy, readNpyRows } from '../../src/retrieval/dense/npy.js';
import { npyBytes } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-npy-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('.npy rows', () => {
  it('reads float32 rows straight into a fresh array or into a reused buffer', async () => {
    const values = Float32Array.from({ length: 5 * 3 }, (_, i) => i * 0.25 - 1);
    const file = path.join(dir, 'f4.npy');
    await fs.writeFile(file, npyBytes(values, 5, 'f4'));
    const matrix = await openNpy(file);
    expect(matrix).toMatchObject({ rows: 5, cols: 3, dtype: 'float32' });
    expect(await readNpyRows(matrix, 0, 5)).toEqual(values);
    const buffer = new Float32Array(2 * 3).fill(7);
    const first = await readNpyRows(matrix, 1, 2, buffer);
    expect(first).toEqual(values.subarray(3, 9));
    expect(first.buffer).toBe(buffer.buffer);
    const last = await readNpyRows(matrix, 4, 1, buffer);
    expect(last).toEqual(values.subarray(12, 15));
    expect(last.buffer).toBe(buffer.buffer);
    await expect(readNpyRows(matrix, 0, 3, buffer)).rejects.toThrow(RangeError);
  });

  it('widens float16 rows exactly (normal, subnormal, largest, signed zero)', async () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000]);
    const file = path.join(dir, 'f2.npy');
    await fs.writeFile(file, npyBytes(bits, 3, 'f2'));
    const matrix = await openNpy(file);
    expect(matrix).toMatchObject({ rows: 3, cols: 2, dtype: 'float16' });
    expect(Array.from(await readNpyRows(matrix, 0, 3))).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0]);
    expect(Array.from(await readNpyRows(matrix, 2, 1, new Float32Array(4)))).toEqual([2 ** -24, -0]);
  });
});

describe('float16 widening', () => {
  it('the table gives halfToFloat of every one of the 65,536 bit patterns', () => {
    const bits = Uint16Array.from({ length: 1 << 16 }, (_, value) => value);
    const out = new Float32Array(bits.length);
    widenHalves(bits, out);
    for (let value = 0; value < bits.length; value++) {
      const expected = Math.fround(halfToFloat(value));
      if (!Object.is(out[value], expected) && !(Number.isNaN(out[value]) && Number.isNaN(expected))) {
        throw new Error(`bits 0x${value.toString(16)}: ${out[value]} instead of ${expected}`);
      }
    }
    // spot checks against IEEE 754 half precision itself
    expect([out[0x3c00], out[0xc000], out[0x7bff], out[0x0001], out[0x7c00], out[0xfc00]]).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity]);
    expect(Object.is(out[0x8000], -0)).toBe(true);
    expect(Number.isNaN(out[0x7e00])).toBe(true);
  });
});

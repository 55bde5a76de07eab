import { describe, expect, it } from 'vitest';

describe('toEqual on typed arrays (byte comparison, test/helpers/typed-array-equality.ts)', () => {
  it('passes equal contents, also of views at different offsets, nested in objects', () => {
    const backing = Uint32Array.from([9, 1, 2, 3, 9]);
    expect(backing.subarray(1, 4)).toEqual(Uint32Array.from([1, 2, 3]));
    expect({ postings: { docs: backing.subarray(1, 4) }, n: 3 }).toEqual({ postings: { docs: Uint32Array.from([1, 2, 3]) }, n: 3 });
    expect(Float64Array.of(NaN, 1.5)).toEqual(Float64Array.of(NaN, 1.5));
  });

  it('fails on one differing element, a different length, a different array type or a signed zero', () => {
    const large = Uint16Array.from({ length: 400_000 }, (_, i) => i & 0xffff);
    const changed = large.slice();
    changed[399_999] = changed[399_999]! ^ 1;
    expect(() => expect({ index: large }).toEqual({ index: changed })).toThrow();
    expect(() => expect(Uint8Array.of(1, 2)).toEqual(Uint8Array.of(1, 2, 0))).toThrow();
    expect(() => expect(Uint8Array.of(1, 2)).toEqual(Int8Array.of(1, 2))).toThrow();
    expect(() => expect(Uint16Array.of(1)).toEqual(Uint8Array.of(1, 0))).toThrow();
    expect(() => expect(Float32Array.of(0)).toEqual(Float32Array.of(-0))).toThrow();
    expect(() => expect(large.subarray(0, 2)).toEqual(large.subarray(1, 3))).toThrow();
  });

  it('is the comparison in use: NaNs with different payloads, equal to Object.is, differ in their bytes', () => {
    const quiet = new Float64Array(1);
    const payload = new Float64Array(1);
    new BigUint64Array(quiet.buffer)[0] = 0x7ff8000000000000n;
    new BigUint64Array(payload.buffer)[0] = 0x7ff8000000000001n;
    expect(Object.is(quiet[0], payload[0])).toBe(true);
    expect(() => expect(quiet).toEqual(payload)).toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { pythonFloatRepr, pythonRound } from '../../src/eval/python-float.js';
import { pythonJsonDump, pythonJsonString } from '../../src/eval/python-json.js';

// Expected values printed by CPython 3.11: repr(round(x, 5)), repr(x), json.dumps(...).
describe('pythonRound(x, 5) = CPython round(x, 5)', () => {
  it.each([
    // exact binary halves round to even (toFixed would round them up)
    [0.015625, 0.01562],
    [0.046875, 0.04688],
    [-0.015625, -0.01562],
    // decimal-looking halves are decided by the binary value, which is just below or above the half
    [0.123455, 0.12345],
    [0.123445, 0.12344],
    [0.234565, 0.23456],
    [0.000005, 0.00001],
    [0.000015, 0.00002],
    [0.999995, 0.99999],
    [0.1234549999999, 0.12345],
    [0.12345500000000001, 0.12346],
    [0.123456789, 0.12346],
    [1 / 3, 0.33333],
    [2 / 3, 0.66667],
    [0.05346534653465348, 0.05347],
    [123456.7890125, 123456.78901],
    [2.675, 2.675],
    [0.5, 0.5],
    [1e20, 1e20],
    [1e-7, 0],
    [0, 0],
  ])('round(%s, 5) = %s', (x, rounded) => {
    expect(pythonRound(x, 5)).toBe(rounded);
  });
  it('keeps the sign of a value rounded to zero and rounds at other precisions', () => {
    expect(Object.is(pythonRound(-1e-7, 5), -0)).toBe(true);
    expect(pythonRound(2.675, 2)).toBe(2.67);
    expect(pythonRound(0.999995, 2)).toBe(1);
    expect(pythonRound(0.015625, 2)).toBe(0.02);
  });
});

describe('pythonFloatRepr = CPython repr(float)', () => {
  it.each([
    [1e-5, '1e-05'],
    [0.00005, '5e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [123, '123.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1.5e-7, '1.5e-07'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [Math.fround(0.3), '0.30000001192092896'],
    [5e-324, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [-2.5, '-2.5'],
    [0.18369, '0.18369'],
    // the edges of the plain-decimal range, where JavaScript's String(x) and repr(x) differ only by `.0`
    [9999999999999998.0, '9999999999999998.0'],
    [2 ** 53, '9007199254740992.0'],
    [-1e15, '-1000000000000000.0'],
    [0.00010000000000000002, '0.00010000000000000002'],
    [0.00009999999999999999, '9.999999999999999e-05'],
    [Math.fround(1e-4), '9.999999747378752e-05'],
    [Math.fround(30.5465), '30.546499252319336'],
  ])('repr(%s) = %s', (x, text) => {
    expect(pythonFloatRepr(x)).toBe(text);
  });
});

describe('pythonJsonDump = json.dump(value, indent=2)', () => {
  it('escapes like ensure_ascii, keeps Map key order, writes floats as repr and empty objects as {}', () => {
    const value = new Map<string, Map<string, number> | Record<string, number>>([
      ['q\u00e9\u{1F600}"\\\n\t\u0001\u007f', new Map([['7', 1], ['1', 0.5]])],
      ['e', {}],
    ]);
    expect(pythonJsonDump(value, 2)).toBe(
      '{\n  "q\\u00e9\\ud83d\\ude00\\"\\\\\\n\\t\\u0001\\u007f": {\n    "7": 1.0,\n    "1": 0.5\n  },\n  "e": {}\n}',
    );
  });
  it('spells special floats as Python json does', () => {
    expect(pythonJsonDump({ a: Infinity, b: -Infinity, c: NaN }, 0)).toBe('{\n"a": Infinity,\n"b": -Infinity,\n"c": NaN\n}');
    expect(pythonJsonString('plain')).toBe('"plain"');
  });
});

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import { pythonFloatRepr } from '../../src/eval/python-float.js';
import { ScoreText } from '../../src/eval/score-text.js';
import { writeShortestDecimal } from '../../src/eval/shortest-decimal.js';

const out = new Uint8Array(64);
const bits = new Float64Array(1);
const words = new BigUint64Array(bits.buffer);

/** The double `steps` representable values away from x (same sign, finite). */
function neighbour(x: number, steps: number): number {
  bits[0] = x;
  words[0] = words[0]! + BigInt(steps);
  return bits[0]!;
}

function written(x: number): string | undefined {
  const end = writeShortestDecimal(x, out, 0);
  return end < 0 ? undefined : Buffer.from(out.subarray(0, end)).toString('latin1');
}

/** Compares with String(x) for x and -x; returns how many were written by the fast path. */
function compareAll(values: Iterable<number>): { compared: number; deferred: number[] } {
  const deferred: number[] = [];
  let compared = 0;
  const mismatches: string[] = [];
  for (const value of values) {
    for (const x of [value, -value]) {
      const text = written(x);
      if (text === undefined) deferred.push(x);
      else {
        compared++;
        if (text !== String(x) && mismatches.length < 5) mismatches.push(`${String(x)} written as ${text}`);
      }
    }
  }
  expect(mismatches).toEqual([]);
  return { compared, deferred };
}

function* randomValues(count: number, seed: number): Generator<number> {
  const next = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    // any bit pattern with an exponent in the range (the mantissa's low bits are where ties and boundaries hide)
    bits[0] = 1e-4 * 2 ** Math.floor(next() * 67);
    words[0] = (words[0]! & ~0xfffffffffffffn) | (BigInt(Math.floor(next() * 2 ** 26)) << 26n) | BigInt(Math.floor(next() * 2 ** 26));
    yield bits[0]!;
    // a float32 widened to a double, as BM25 and embedding scores are (their exact decimals are short: many ties)
    yield Math.fround(next() * 10 ** Math.floor(next() * 20 - 4));
    // BM25-like: a float32 near 30 with three decimals
    yield Math.fround(Math.round((30 - (i % 1000) * 0.02 + next()) * 1000) / 1000);
    // short decimals and integers, whose shortest form drops many digits
    yield Math.round(next() * 1e6) / 10 ** Math.floor(next() * 10);
    yield Math.floor(next() * 2 ** 52) + 1;
    // nine digits ending in 1: x just below such a decimal puts the interval across a multiple of 1e8 (17 digits)
    yield (1e8 + Math.floor(next() * 9e7) * 10 + 1) / 10 ** Math.floor(next() * 20);
  }
}

describe('writeShortestDecimal = String(x) for 1e-4 <= |x| < 1e16', () => {
  it('agrees on random doubles, float32 scores, short decimals and integers, and writes all below 4e15 itself', () => {
    const { compared, deferred } = compareAll(randomValues(60_000, 20250106));
    expect(compared).toBeGreaterThan(650_000);
    // the only values left to String(x): integers near 2^53, where an end of the interval is an integer
    expect(deferred.filter((x) => Math.abs(x) >= 1e-4 && Math.abs(x) < 4e15)).toEqual([]);
  });

  it('agrees around every power of ten and two in the range, and on their multiples', () => {
    const values: number[] = [];
    for (let e = -4; e <= 15; e++) {
      const power = Number(`1e${e}`);
      for (let steps = -300; steps <= 300; steps++) values.push(neighbour(power, steps));
      for (let m = 2; m <= 9; m++) for (let steps = -3; steps <= 3; steps++) values.push(neighbour(m * power, steps));
    }
    // every power of two in the range: the only values whose lower neighbour is nearer than the upper one
    for (let e = -13; e <= 53; e++) for (let steps = -20; steps <= 20; steps++) values.push(neighbour(2 ** e, steps));
    const { compared, deferred } = compareAll(values.filter((x) => x >= 1e-4 && x < 1e16));
    expect(compared).toBeGreaterThan(30_000);
    expect(deferred.filter((x) => Math.abs(x) >= 1e-4 && Math.abs(x) < 4e15)).toEqual([]);
  });

  it('breaks ties between two nearest candidates to the even digit, as V8 and CPython do', () => {
    // exact values of float32s, halfway between two 17-digit decimals, and a double halfway between two 16-digit ones
    expect(written(29.7649993896484375)).toBe('29.764999389648438');
    expect(written(28.6399993896484375)).toBe('28.639999389648438');
    expect(written(2 ** 50 + 0.25)).toBe('1125899906842624.2');
    expect(written(2 ** 50 + 0.75)).toBe('1125899906842624.8');
    expect(written(-(2 ** 50 + 0.75))).toBe('-1125899906842624.8');
  });

  it('writes the edges of the range and leaves everything outside it to String(x)', () => {
    expect(written(1e-4)).toBe('0.0001');
    expect(written(0.00010000000000000002)).toBe('0.00010000000000000002');
    expect(written(1e15)).toBe('1000000000000000');
    expect(written(123)).toBe('123');
    expect(written(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(written(Math.fround(0.1))).toBe('0.10000000149011612');
    for (const x of [0, -0, NaN, Infinity, -Infinity, 1e16, -1e16, neighbour(1e-4, -1), 5e-324, 2 ** -1074 * 3, 2 ** -1022, 1e-7, Number.MAX_VALUE, 1e21]) {
      expect(writeShortestDecimal(x, out, 0)).toBe(-1);
    }
    expect(written(neighbour(1e16, -1))).toBeOneOf([undefined, '9999999999999998']);
  });

  it('writes at the given offset and returns the end', () => {
    out.fill(0x21);
    expect(writeShortestDecimal(2.5, out, 3)).toBe(6);
    expect(Buffer.from(out.subarray(0, 7)).toString('latin1')).toBe('!!!2.5!');
  });
});

/** json.dumps(x) for a float, from pythonFloatRepr (which does not use writeShortestDecimal). */
function pythonJsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  return Number.isFinite(x) ? pythonFloatRepr(x) : x > 0 ? 'Infinity' : '-Infinity';
}

describe('ScoreText', () => {
  const spell = (score: ScoreText): [string, string] => [
    Buffer.from(score.trec.subarray(0, score.trecLength)).toString('latin1'),
    Buffer.from(score.json.subarray(0, score.jsonLength)).toString('latin1'),
  ];

  it('spells a score as String(x) for run.trec and as json.dumps(x) for score.json', () => {
    const score = new ScoreText();
    const special = [0, -0, 0, 1e-5, 1e-4, 1e16, 1e20, 5, 5, -5, 2.5, Infinity, -Infinity, NaN, NaN, 5e-324, Math.fround(0.1), 2 ** 53, 9007199254740993e2, 1e15];
    const mismatches: string[] = [];
    for (const x of [...special, ...randomValues(5_000, 7)]) {
      score.set(x);
      const [trec, json] = spell(score);
      if (trec !== String(x) || json !== pythonJsonFloat(x)) mismatches.push(`${String(x)}: ${trec} ${json}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('keeps the text of a repeated score, but not from 0 to -0', () => {
    const score = new ScoreText();
    score.set(0);
    expect(spell(score)).toEqual(['0', '0.0']);
    score.set(-0);
    expect(spell(score)).toEqual(['0', '-0.0']);
    score.set(12.5);
    score.set(12.5);
    expect(spell(score)).toEqual(['12.5', '12.5']);
    score.set(12);
    expect(spell(score)).toEqual(['12', '12.0']);
  });
});

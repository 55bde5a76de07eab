/**
 * JavaScript's String(x) written as ASCII bytes, for 1e-4 <= |x| < 1e16 (where it is a plain decimal, and Python's
 * repr is the same text, with `.0` added to an integral value): the fewest significant digits that read back as x,
 * the closest to x where several are as short, an even last digit where two are as close (V8 and CPython's dtoa
 * agree on all three). Written by hand because String(x) is the costliest step of writing run.trec and score.json
 * (about 300 ns per score here, a million scores per task), and this is about three times faster.
 *
 * Exact, with no floating-point approximation:
 * - y = |x|·10^k with k chosen so that 1e16 <= y < 1e17 (17 digits before the point). 10^k is exact for k <= 22,
 *   and Dekker's two-product gives y exactly as hi + lo.
 * - The decimals that read back as x are those within half the gap to the neighbouring doubles: [y - below,
 *   y + above] after scaling, where `above` is ulp(x)/2·10^k, exact, and `below` is the same or half of it at a
 *   power of two.
 * - y is held as H·1e8 + L + f: integers H < 2^30 and 0 <= L < 1e8, and a fraction 0 <= f < 1 that is exact
 *   because x·10^k is a multiple of 2^(e+k), with e+k >= -48 for |x| >= 1e-4 (x = m·2^e).
 * - The shortest candidates are the multiples of the largest power 10^j that has one in the interval. The interval
 *   is 1.1 to 23 units wide, so for j >= 2 the multiple is unique; for j <= 1 it is the one nearest y.
 * Where an end of the interval is itself an integer, whether that end reads back depends on how a reader rounds
 * ties; the function then returns -1 and the caller uses String(x). It happens only to integers above ~4.5e15.
 */
export function writeShortestDecimal(x: number, out: Uint8Array, at: number): number {
  const magnitude = Math.abs(x);
  if (!(magnitude >= 1e-4 && magnitude < 1e16)) return -1;
  bits[0] = magnitude;
  const high = words[HIGH_WORD]!;
  const biased = high >>> 20;
  let k = SCALE_OF_EXPONENT[biased]!;
  let hi = magnitude * POWERS_OF_TEN[k]!;
  if (hi >= 1e17) hi = magnitude * POWERS_OF_TEN[--k]!; // the binade holds a power of ten: x is above it
  // Dekker's two-product: lo = magnitude·10^k - hi exactly (27-bit halves multiply without rounding)
  const spread = 134217729 * magnitude;
  const xHigh = spread - (spread - magnitude);
  const xLow = magnitude - xHigh;
  const lo = xHigh * TEN_HIGH[k]! - hi + xHigh * TEN_LOW[k]! + xLow * TEN_HIGH[k]! + xLow * TEN_LOW[k]!;
  const above = HALF_ULP[biased]! * POWERS_OF_TEN[k]!;
  const below = (high & 0xfffff) === 0 && words[1 - HIGH_WORD] === 0 ? above / 2 : above;

  // y = H·1e8 + L + f. hi is an integer (>= 2^53); H·1e8 is exact (H < 2^30, 1e8 = 2^8·5^8), so is hi - H·1e8
  let H = Math.floor(hi / 1e8);
  const wholeLo = Math.floor(lo);
  const f = lo - wholeLo;
  let L = hi - H * 1e8 + wholeLo;
  const belowWhole = Math.floor(below);
  const aboveWhole = Math.floor(above);
  const lowFraction = f - (below - belowWhole); // in (-1, 1)
  const highFraction = f + (above - aboveWhole); // in [0, 2)
  if (lowFraction === 0 || highFraction === 0 || highFraction === 1) return -1;
  // the interval's integers: [lowH·1e8 + lowL, highH·1e8 + highL]
  let lowL = L - belowWhole + (lowFraction > 0 ? 1 : 0);
  let highL = L + aboveWhole + (highFraction > 1 ? 1 : 0);
  // each low part may have left [0, 1e8) by one unit either way. Carried without a branch: optimised code that
  // has never seen a carry (rare) would be thrown away at the first one, and the function ran unoptimised,
  // allocating a number per operation, until recompiled
  const lowCarry = (lowL >= 1e8 ? 1 : 0) - (lowL < 0 ? 1 : 0);
  lowL -= lowCarry * 1e8;
  let lowH = H + lowCarry;
  const highCarry = (highL >= 1e8 ? 1 : 0) - (highL < 0 ? 1 : 0);
  highL -= highCarry * 1e8;
  let highH = H + highCarry;
  const carry = (L >= 1e8 ? 1 : 0) - (L < 0 ? 1 : 0);
  L -= carry * 1e8;
  H += carry;
  // from here on whole numbers below 2^31: int32 arithmetic, where division by a constant is a multiplication
  lowL |= 0;
  highL |= 0;
  lowH |= 0;
  highH |= 0;
  L |= 0;
  H |= 0;

  // the largest j with a multiple of 10^j in the interval, and (for j >= 2) that multiple: cH·1e8 + cL
  let j = 0;
  let cH = highH;
  let cL = highL;
  if (lowH === highH) {
    for (; j < 8; j++) {
      const truncated = highL - (highL % SMALL_POWERS_OF_TEN[j + 1]!);
      if (truncated < lowL) break;
      cL = truncated;
    }
  } else {
    j = 8;
    cL = 0;
  }
  if (j === 8) {
    for (; j < 17; j++) {
      const truncated = highH - (highH % SMALL_POWERS_OF_TEN[j - 7]!);
      if (truncated < lowH || (truncated === lowH && lowL !== 0)) break;
      cH = truncated;
    }
  }
  if (j <= 1) {
    // several multiples of 10^j may fit: the one nearest y, ties to an even digit
    cH = H;
    if (j === 0) {
      cL = L;
      if (f > 0.5 || (f === 0.5 && (L & 1) === 1)) cL++;
    } else {
      const tens = (L / 10) | 0;
      const past = L - tens * 10 + f; // y minus the multiple of 10 just below it, exact
      cL = tens * 10;
      if (past > 5 || (past === 5 && (tens & 1) === 1)) cL += 10;
    }
    const unit = j === 0 ? 1 : 10;
    if (cL >= 1e8) (cL -= 1e8), cH++;
    // the nearest multiple lies outside the interval: then the one on the other side of y is inside
    if (cH > highH || (cH === highH && cL > highL)) cL -= unit;
    else if (cH < lowH || (cH === lowH && cL < lowL)) cL += unit;
    if (cL < 0) (cL += 1e8), cH--;
    else if (cL >= 1e8) (cL -= 1e8), cH++;
  }

  // c·10^-k as a plain decimal: the 18 digits of c, the point after digit 18 - k, the last j digits dropped
  for (let i = 17; i >= 10; i--) {
    const next = (cL / 10) | 0;
    digits[i] = 0x30 + cL - next * 10;
    cL = next;
  }
  for (let i = 9; i >= 0; i--) {
    const next = (cH / 10) | 0;
    digits[i] = 0x30 + cH - next * 10;
    cH = next;
  }
  let first = 0;
  while (digits[first] === 0x30) first++;
  const point = 18 - k;
  const end = 18 - j;
  if (x < 0) out[at++] = 0x2d;
  if (point <= first) {
    out[at++] = 0x30;
    out[at++] = 0x2e;
    for (let i = point; i < first; i++) out[at++] = 0x30;
    for (let i = first; i < end; i++) out[at++] = digits[i]!;
  } else {
    for (let i = first; i < point; i++) out[at++] = digits[i]!;
    if (end > point) {
      out[at++] = 0x2e;
      for (let i = point; i < end; i++) out[at++] = digits[i]!;
    }
  }
  return at;
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Which of the two 32-bit words holds the sign, exponent and top of the mantissa. */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const digits = new Uint8Array(18);

const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const SMALL_POWERS_OF_TEN = Int32Array.from({ length: 10 }, (_, i) => 10 ** i);
/** 10^k split into halves of at most 26 bits, for the two-product. */
const TEN_HIGH = POWERS_OF_TEN.map((power) => {
  const spread = 134217729 * power;
  return spread - (spread - power);
});
const TEN_LOW = POWERS_OF_TEN.map((power, k) => power - TEN_HIGH[k]!);
/** Per biased exponent b (x in [2^(b-1023), 2^(b-1022))): the k that brings the bottom of the binade to 1e16. */
const SCALE_OF_EXPONENT = Int32Array.from({ length: 2048 }, (_, b) => Math.min(22, Math.max(0, 16 - Math.floor(Math.log10(2 ** (b - 1023))))));
/** Per biased exponent: half the gap between consecutive doubles. */
const HALF_ULP = Float64Array.from({ length: 2048 }, (_, b) => 2 ** (Math.max(b, 1) - 1076));

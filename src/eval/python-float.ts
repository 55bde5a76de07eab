/**
 * Python's float semantics where BRIGHT's output depends on them: `round(x, n)` and `repr(x)` (which `json.dump`
 * writes).
 */

/**
 * Python 3 `round(x, ndigits)` for ndigits >= 0: the exact binary value of x rounded to ndigits decimals, exact
 * halves to even, then read back as the nearest double. (`toFixed` rounds exact halves up, e.g. 0.015625.)
 */
export function pythonRound(x: number, ndigits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const { mantissa, exponent } = decompose(Math.abs(x));
  if (exponent >= 0) return x; // an integer: nothing after the decimal point
  const scaled = mantissa * 10n ** BigInt(ndigits);
  const denominator = 1n << BigInt(-exponent);
  let quotient = scaled / denominator;
  const twiceRemainder = (scaled % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)) quotient += 1n;
  const rounded = Number(`${quotient}e-${ndigits}`);
  return x < 0 ? -rounded : rounded;
}

/** x = mantissa * 2^exponent exactly, for finite x > 0. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biased !== 0) mantissa |= 1n << 52n;
  return { mantissa, exponent: (biased === 0 ? 1 : biased) - 1075 };
}

/** Python `repr(float)`: shortest round-trip digits, `.0` on integral values, exponent form below 1e-4 and from 1e16. */
export function pythonFloatRepr(x: number): string {
  return pythonFloatReprOf(x, String(x));
}

/**
 * pythonFloatRepr(x) given `js`, JavaScript's String(x), so a caller that needs both spellings (run.trec and
 * score.json) converts the number once. Both languages print the shortest digits that round-trip (ties to the
 * closer value), so only the layout differs: between 1e-4 and 1e16 both write plain decimals and Python adds `.0`
 * to an integral value.
 */
export function pythonFloatReprOf(x: number, js: string): string {
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e16) return js.includes('.') ? js : `${js}.0`;
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissaText, exponentText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissaText.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

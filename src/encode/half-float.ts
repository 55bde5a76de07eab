/** IEEE 754 half precision bits -> number (float16 exports and .npy files). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const widen = new DataView(new ArrayBuffer(4));

/** bfloat16 bits are the top half of a float32. */
export function bfloatToFloat(bits: number): number {
  widen.setUint32(0, bits << 16);
  return widen.getFloat32(0);
}

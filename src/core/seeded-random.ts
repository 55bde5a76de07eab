/**
 * mulberry32: a small, fast 32-bit generator. Everything random in the harness (permutation tests, jitter in
 * charts) and in its tests and benchmarks draws from it with a fixed seed, so the same inputs always give the
 * same output.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

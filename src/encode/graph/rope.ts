import type { Architecture } from './architecture.js';

const f = Math.fround;

/**
 * transformers' rotary inverse frequencies, rounded as its float32 tensors round them (modeling_rope_utils.py
 * `_compute_default_rope_parameters` and `_compute_llama3_parameters`): every tensor operation with a Python
 * scalar runs in float32, so each step is rounded here with Math.fround. Exact tables matter: float64 tables move
 * hidden states by ~1e-5 at a few thousand positions (models/hf/README.md, "Numerics").
 */
export function inverseFrequencies(arch: Architecture): Float32Array {
  const dim = arch.headDim;
  const half = dim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    // 1.0 / (base ** (arange(0, dim, 2).float() / dim))
    const exponent = f(f(2 * i) / dim);
    inv[i] = f(1 / f(Math.pow(arch.ropeTheta, exponent)));
  }
  const scaling = arch.llama3Scaling;
  if (!scaling) return inv;
  const lowWavelen = scaling.originalMaxPositions / scaling.lowFreqFactor;
  const highWavelen = scaling.originalMaxPositions / scaling.highFreqFactor;
  const twoPi = f(2 * Math.PI);
  for (let i = 0; i < half; i++) {
    const freq = inv[i]!;
    const wavelen = f(twoPi / freq);
    // torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    const llama = wavelen > lowWavelen ? f(freq / scaling.factor) : freq;
    const medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
    if (!medium) {
      inv[i] = llama;
      continue;
    }
    const smooth = f(f(f(f(scaling.originalMaxPositions) / wavelen) - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor));
    // (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    inv[i] = f(f(f(f(1 - smooth) * llama) / scaling.factor) + f(smooth * llama));
  }
  return inv;
}

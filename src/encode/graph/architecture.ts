import { dataError } from '../../core/errors.js';

export const ARCHITECTURES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

export interface Llama3Scaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

/** What the graph builder needs from config.json, checked; everything that would change the math is here or refused. */
export interface Architecture {
  type: ArchitectureName;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  llama3Scaling: Llama3Scaling | null;
  /** q/k/v projections carry biases (Qwen2 always; Llama/Qwen3 with attention_bias). */
  qkvBias: boolean;
  /** o_proj carries a bias (Llama/Qwen3 attention_bias). */
  oBias: boolean;
  /** Qwen3's per-head RMSNorm on queries and keys before the rotation. */
  qkNorm: boolean;
  /** Mistral's causal sliding window (keys i - j < window are visible); null: none. */
  slidingWindow: number | null;
  /** torch_dtype as declared (the stored tensors' dtype is read from the files). */
  declaredDtype: string | undefined;
}

/** Fields that, when set to anything but these values, change the computation in ways the builder does not implement. */
const MUST_BE: Record<string, unknown[]> = {
  hidden_act: ['silu', undefined],
  mlp_bias: [false, undefined],
  partial_rotary_factor: [1, 1.0, undefined],
  use_sliding_window: [false, undefined],
  num_experts: [undefined, 0, null],
  num_local_experts: [undefined, 0, null],
  num_experts_per_tok: [undefined, 0, null],
  moe_intermediate_size: [undefined, 0, null],
  attn_logit_softcapping: [undefined, null],
  final_logit_softcapping: [undefined, null],
  layer_types: [undefined],
};

/** Parses config.json into the builder's terms; anything it cannot build exactly is a data error naming the field. */
export function parseArchitecture(raw: Record<string, unknown>, file: string): Architecture {
  const refuse = (field: string, why: string) => dataError('checkpoint.unsupported_config', `checkpoint: ${file} field ${field}: ${why}`);
  const type = raw.model_type;
  if (typeof type !== 'string' || !(ARCHITECTURES as readonly string[]).includes(type)) {
    throw refuse('model_type', `${JSON.stringify(type)} is not one of ${ARCHITECTURES.join(', ')}; export this model with tools/export-onnx.py`);
  }
  const int = (field: string, fallback?: number): number => {
    const value = raw[field] ?? fallback;
    if (!Number.isInteger(value) || (value as number) <= 0) throw refuse(field, `${JSON.stringify(raw[field])} is not a positive integer`);
    return value as number;
  };
  const num = (field: string, fallback?: number): number => {
    const value = raw[field] ?? fallback;
    if (typeof value !== 'number' || !(value > 0)) throw refuse(field, `${JSON.stringify(raw[field])} is not a positive number`);
    return value;
  };
  for (const [field, allowed] of Object.entries(MUST_BE)) {
    if (!allowed.includes(raw[field] as never)) throw refuse(field, `${JSON.stringify(raw[field])} is not supported by the graph builder (allowed: ${allowed.map((v) => JSON.stringify(v) ?? 'absent').join(', ')})`);
  }
  const hiddenSize = int('hidden_size');
  const heads = int('num_attention_heads');
  const kvHeads = int('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw refuse('num_key_value_heads', `${kvHeads} does not divide num_attention_heads ${heads}`);
  const headDim = int('head_dim', hiddenSize / heads);
  if (headDim % 2 !== 0) throw refuse('head_dim', `${headDim} is odd; rotary embeddings need an even head dimension`);
  if (type !== 'qwen3' && raw.head_dim === undefined && hiddenSize % heads !== 0) throw refuse('num_attention_heads', `${heads} does not divide hidden_size ${hiddenSize}`);

  let llama3Scaling: Llama3Scaling | null = null;
  const scaling = raw.rope_scaling as Record<string, unknown> | null | undefined;
  if (scaling !== null && scaling !== undefined) {
    const ropeType = scaling.rope_type ?? scaling.type;
    if (ropeType === 'llama3') {
      const field = (name: string): number => {
        const value = scaling[name];
        if (typeof value !== 'number' || !(value > 0)) throw refuse(`rope_scaling.${name}`, `${JSON.stringify(value)} is not a positive number`);
        return value;
      };
      llama3Scaling = {
        factor: field('factor'),
        lowFreqFactor: field('low_freq_factor'),
        highFreqFactor: field('high_freq_factor'),
        originalMaxPositions: field('original_max_position_embeddings'),
      };
      if (llama3Scaling.highFreqFactor === llama3Scaling.lowFreqFactor) throw refuse('rope_scaling.high_freq_factor', 'equals low_freq_factor (division by zero in the llama3 schedule)');
    } else if (ropeType !== 'default') {
      throw refuse('rope_scaling', `rope type ${JSON.stringify(ropeType)} is not supported (supported: default, llama3)`);
    }
  }
  const attentionBias = raw.attention_bias === true;
  const sliding = raw.sliding_window;
  if (sliding !== null && sliding !== undefined && !(Number.isInteger(sliding) && (sliding as number) > 0)) throw refuse('sliding_window', `${JSON.stringify(sliding)} is not a positive integer or null`);
  return {
    type: type as ArchitectureName,
    hiddenSize,
    layers: int('num_hidden_layers'),
    heads,
    kvHeads,
    headDim,
    intermediateSize: int('intermediate_size'),
    vocabSize: int('vocab_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    llama3Scaling,
    qkvBias: type === 'qwen2' || attentionBias,
    oBias: type !== 'qwen2' && attentionBias,
    qkNorm: type === 'qwen3',
    // only Mistral applies its window in transformers' causal mask; Qwen2/3 gate it behind use_sliding_window (refused above)
    slidingWindow: type === 'mistral' && typeof sliding === 'number' ? sliding : null,
    declaredDtype: typeof raw.torch_dtype === 'string' ? raw.torch_dtype : undefined,
  };
}

/** Parameters of the model in millions-scale units, for memory/time estimates. */
export function parameterCount(arch: Architecture): number {
  const { hiddenSize: h, heads, kvHeads, headDim: d, intermediateSize: m, layers, vocabSize } = arch;
  const attention = h * heads * d * 2 + h * kvHeads * d * 2;
  return vocabSize * h + layers * (attention + 3 * h * m + 2 * h) + h;
}

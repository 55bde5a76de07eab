import { dataError } from '../../core/errors.js';
import type { Architecture } from './architecture.js';
import { DataType, type DataTypeCode, encodeModel, type NodeDef, type TensorDef, type ValueInfoDef, type AttributeValue } from './onnx-proto.js';
import { inverseFrequencies } from './rope.js';
import type { StoredDtype, StoredTensor } from './safetensors.js';

/** Bumped whenever the emitted graph's arithmetic changes: part of the embedding cache key. */
export const GRAPH_BUILDER_VERSION = 1;

export type AttentionMode = 'bidirectional' | 'causal';
export type ComputeDtype = 'fp32' | 'fp16' | 'bf16';

/**
 * cpu: opset 17 float32 throughout, attention as MatMul + Softmax with an additive mask built in the graph (every
 * operator has a float32 CPU kernel; bf16/fp16 weights are cast after loading because the CPU EP has no bf16
 * arithmetic kernels). cuda: opset 24, the checkpoint's dtype, RMSNormalization with float32 statistics and
 * Attention-24 with native grouped-query heads (no S x S scores tensor), pooling in float32.
 */
export type GraphFlavour = 'cpu' | 'cuda';

export interface BuildOptions {
  flavour: GraphFlavour;
  attention: AttentionMode;
  /** cuda flavour only: the arithmetic dtype (default: the embedding table's stored dtype). */
  computeDtype?: ComputeDtype;
  /** Rows are padded on the left (Qwen3-Embedding); the cuda flavour then needs an explicit mask. */
  leftPadding: boolean;
  /** pooled: `sentence_embedding [B, H]` from a `pooling_mask [B, S]` input; hidden: `last_hidden_state [B, S, H]`. */
  output: 'pooled' | 'hidden';
  /** The external-data location of a weight file, relative to the folder onnxruntime resolves it against. */
  locate: (file: string) => string;
}

export interface BuiltGraph {
  bytes: Uint8Array;
  computeDtype: ComputeDtype;
}

const STORED_TYPE: Record<StoredDtype, DataTypeCode> = { F32: DataType.FLOAT, F16: DataType.FLOAT16, BF16: DataType.BFLOAT16 };
const COMPUTE_TYPE: Record<ComputeDtype, DataTypeCode> = { fp32: DataType.FLOAT, fp16: DataType.FLOAT16, bf16: DataType.BFLOAT16 };
const STORED_TO_COMPUTE: Record<StoredDtype, ComputeDtype> = { F32: 'fp32', F16: 'fp16', BF16: 'bf16' };
/** The additive mask value transformers uses (finfo(dtype).min), per compute dtype. */
const MASK_MIN: Record<ComputeDtype, number> = { fp32: -3.4028234663852886e38, fp16: -65504, bf16: -3.3895313892515355e38 };

function int64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
}

function floatBytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Accumulates nodes and initializers with unique names. */
class GraphWriter {
  readonly nodes: NodeDef[] = [];
  readonly initializers: TensorDef[] = [];
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  op(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, hint = op.toLowerCase(), outputs = 1): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(hint));
    this.nodes.push({ op, inputs, outputs: names, name: this.fresh(`n_${op}`), attributes });
    return names;
  }

  one(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, hint?: string): string {
    return this.op(op, inputs, attributes, hint)[0]!;
  }

  ints(values: number[], hint = 'c'): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DataType.INT64, dims: [values.length], raw: int64Bytes(values) });
    return name;
  }

  scalarInt(value: number): string {
    const name = this.fresh('i');
    this.initializers.push({ name, dataType: DataType.INT64, dims: [], raw: int64Bytes([value]) });
    return name;
  }

  scalar(value: number, type: ComputeDtype | 'fp32' = 'fp32', hint = 's'): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims: [], raw: floatBytes([value]) });
    return type === 'fp32' ? name : this.cast(name, COMPUTE_TYPE[type]);
  }

  floats(values: ArrayLike<number>, dims: number[], hint = 'f'): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, raw: floatBytes(values) });
    return name;
  }

  cast(input: string, to: DataTypeCode): string {
    return this.one('Cast', [input], { to: { kind: 'int', value: to } });
  }
}

interface Weights {
  get(name: string, shape: number[]): StoredTensor;
}

/** Weight lookup by the checkpoint's names, with or without the `model.` prefix, checked against config.json's shapes. */
function weightTable(tensors: Map<string, StoredTensor>, configFile: string): Weights {
  const find = (name: string) => tensors.get(`model.${name}`) ?? tensors.get(name);
  const check = (tensor: StoredTensor, shape: number[]): StoredTensor => {
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw dataError(
        'checkpoint.shape_mismatch',
        `checkpoint: tensor ${tensor.name} in ${tensor.file} has shape ${JSON.stringify(tensor.shape)} but ${configFile} implies ${JSON.stringify(shape)}`,
      );
    }
    return tensor;
  };
  return {
    get(name, shape) {
      const tensor = find(name);
      if (!tensor) throw dataError('checkpoint.missing_tensor', `checkpoint: tensor ${name} (or model.${name}) is in none of the weight files; the checkpoint is incomplete or not a decoder model`);
      return check(tensor, shape);
    },
  };
}

/**
 * Builds the ONNX encoder graph for a Llama / Mistral / Qwen2 / Qwen3 checkpoint: token ids + attention mask in,
 * last hidden state (or its masked mean) out. Weights are initializers whose bytes stay in the .safetensors files
 * (external data: location, offset, length), referenced as stored: 2-D projections run as Gemm with transB=1 so
 * onnxruntime never folds a transposed second copy.
 */
export function buildDecoderGraph(arch: Architecture, tensors: Map<string, StoredTensor>, configFile: string, options: BuildOptions): BuiltGraph {
  const weights = weightTable(tensors, configFile);
  const g = new GraphWriter();
  const { hiddenSize: H, heads, kvHeads, headDim: D, intermediateSize: M } = arch;
  const groups = heads / kvHeads;
  const cuda = options.flavour === 'cuda';
  const embedTensor = weights.get('embed_tokens.weight', [arch.vocabSize, H]);
  const dtype: ComputeDtype = cuda ? (options.computeDtype ?? STORED_TO_COMPUTE[embedTensor.dtype]) : 'fp32';
  const T = COMPUTE_TYPE[dtype];

  /** A weight as an external-data initializer, cast to the compute dtype when stored otherwise. */
  const weight = (tensor: StoredTensor, as: DataTypeCode = T): string => {
    const name = tensor.name;
    if (!g.initializers.some((init) => init.name === name)) {
      g.initializers.push({
        name,
        dataType: STORED_TYPE[tensor.dtype],
        dims: tensor.shape,
        external: { location: options.locate(tensor.file), offset: tensor.offset, length: tensor.length },
      });
    }
    return STORED_TYPE[tensor.dtype] === as ? name : g.cast(name, as);
  };

  const int = (value: number): AttributeValue => ({ kind: 'int', value });
  const ints = (value: number[]): AttributeValue => ({ kind: 'ints', value });

  // batch and sequence are dynamic; reshape targets are assembled from the ids' shape
  const ids = 'input_ids';
  const shapeBS = g.one('Shape', [ids]);
  const batch = g.one('Slice', [shapeBS, g.ints([0]), g.ints([1])]);
  const seq = g.one('Slice', [shapeBS, g.ints([1]), g.ints([2])]);
  const shape = (...parts: (string | number[])[]) => g.one('Concat', parts.map((part) => (typeof part === 'string' ? part : g.ints(part))), { axis: int(0) });
  const reshape = (x: string, target: string) => g.one('Reshape', [x, target]);
  const flat = (x: string, width: number) => reshape(x, g.ints([-1, width]));

  // positions 0..S-1 over the padded row (transformers' default position_ids), as int64 and float32
  const seqScalar = g.one('Squeeze', [seq, g.ints([0])]);
  const positions = g.one('Range', [g.scalarInt(0), seqScalar, g.scalarInt(1)]);
  // rotary tables [S, 1, D/2]: float32(inv_freq * p) then float32 cos/sin, as transformers computes them
  const inv = g.floats(inverseFrequencies(arch), [1, D / 2], 'inv_freq');
  const angles = g.one('Mul', [g.one('Unsqueeze', [g.cast(positions, DataType.FLOAT), g.ints([1])]), inv]);
  const table = (op: 'Cos' | 'Sin') => {
    const values = g.one('Unsqueeze', [g.one(op, [angles]), g.ints([1])]);
    return dtype === 'fp32' ? values : g.cast(values, T);
  };
  const cos = table('Cos');
  const sin = table('Sin');
  /** q * cos + rotate_half(q) * sin on [B, S, heads, D], written per half. */
  const rotate = (x: string): string => {
    const [x1, x2] = g.op('Split', [x, g.ints([D / 2, D / 2])], { axis: int(-1) }, 'half', 2) as [string, string];
    const first = g.one('Sub', [g.one('Mul', [x1, cos]), g.one('Mul', [x2, sin])]);
    const second = g.one('Add', [g.one('Mul', [x2, cos]), g.one('Mul', [x1, sin])]);
    return g.one('Concat', [first, second], { axis: int(-1) });
  };

  const rmsNorm = (x: string, gain: StoredTensor): string => {
    if (cuda) return g.one('RMSNormalization', [x, weight(gain)], { axis: int(-1), epsilon: { kind: 'float', value: arch.rmsNormEps }, stash_type: int(1) });
    const variance = g.one('ReduceMean', [g.one('Mul', [x, x])], { axes: ints([-1]), keepdims: int(1) });
    const normed = g.one('Div', [x, g.one('Sqrt', [g.one('Add', [variance, g.scalar(arch.rmsNormEps)])])]);
    return g.one('Mul', [normed, weight(gain)]);
  };
  const linear = (x: string, prefix: string, outFeatures: number, inFeatures: number, bias: boolean): string => {
    const inputs = [x, weight(weights.get(`${prefix}.weight`, [outFeatures, inFeatures]))];
    if (bias) inputs.push(weight(weights.get(`${prefix}.bias`, [outFeatures])));
    return g.one('Gemm', inputs, { transB: int(1) });
  };

  // Additive attention mask, finfo.min where hidden (never -inf: a left-padded pad row that sees no key then gets
  // uniform weights, as in transformers, instead of NaNs that would reach the real rows through the next layer).
  // cpu: [B, 1, 1, S, S] against the grouped scores; cuda: [B, 1, S, S] for Attention-24, needed only when
  // neither of its fast paths applies (right padding: key lengths when bidirectional, is_causal without a window).
  const additiveMask = (rank: 4 | 5): string => {
    const keysValid = g.one('Cast', [reshape('attention_mask', shape(batch, rank === 5 ? [1, 1, 1] : [1, 1], seq))], { to: int(DataType.BOOL) });
    let keep = keysValid;
    if (options.attention === 'causal') {
      const queryPos = g.one('Unsqueeze', [positions, g.ints([1])]);
      const keyPos = g.one('Unsqueeze', [positions, g.ints([0])]);
      let causal = g.one('LessOrEqual', [keyPos, queryPos]);
      if (arch.slidingWindow !== null) {
        // transformers' Mistral mask hides key j from query i when j <= i - window
        causal = g.one('And', [causal, g.one('Less', [g.one('Sub', [queryPos, keyPos]), g.ints([arch.slidingWindow])])]);
      }
      keep = g.one('And', [keysValid, causal]);
    }
    return g.one('Where', [keep, g.scalar(0, dtype), g.scalar(MASK_MIN[dtype], dtype)]);
  };
  const cpuMask = cuda ? '' : additiveMask(5);
  const fastBidirectional = cuda && !options.leftPadding && options.attention === 'bidirectional';
  const fastCausal = cuda && !options.leftPadding && options.attention === 'causal' && arch.slidingWindow === null;
  const nonpadKv = fastBidirectional ? g.one('ReduceSum', ['attention_mask', g.ints([1])], { keepdims: int(0) }) : '';
  const cudaMask = cuda && !fastBidirectional && !fastCausal ? additiveMask(4) : '';

  const headsShape = (n: number) => shape(batch, seq, [n, D]);
  const qHeadsShape = headsShape(heads);
  const kvHeadsShape = headsShape(kvHeads);
  const scale = 1 / Math.sqrt(D);
  const attention = (x: string, layer: string): string => {
    let q = reshape(linear(x, `${layer}.self_attn.q_proj`, heads * D, H, arch.qkvBias), qHeadsShape);
    let k = reshape(linear(x, `${layer}.self_attn.k_proj`, kvHeads * D, H, arch.qkvBias), kvHeadsShape);
    const v = linear(x, `${layer}.self_attn.v_proj`, kvHeads * D, H, arch.qkvBias);
    if (arch.qkNorm) {
      q = rmsNorm(q, weights.get(`${layer}.self_attn.q_norm.weight`, [D]));
      k = rmsNorm(k, weights.get(`${layer}.self_attn.k_norm.weight`, [D]));
    }
    q = rotate(q);
    k = rotate(k);
    let context: string;
    if (cuda) {
      const as3d = (t: string, n: number) => reshape(t, shape(batch, seq, [n * D]));
      const inputs = [as3d(q, heads), as3d(k, kvHeads), reshape(v, shape(batch, seq, [kvHeads * D])), cudaMask, '', '', nonpadKv];
      while (inputs[inputs.length - 1] === '') inputs.pop();
      context = g.one('Attention', inputs, {
        q_num_heads: int(heads),
        kv_num_heads: int(kvHeads),
        scale: { kind: 'float', value: scale },
        is_causal: int(fastCausal ? 1 : 0),
        softmax_precision: int(DataType.FLOAT),
      });
    } else {
      // grouped-query attention without repeating K/V: queries as [B, kv, groups, S, D] against keys [B, kv, 1, D, S]
      const q5 = reshape(g.one('Transpose', [q], { perm: ints([0, 2, 1, 3]) }), shape(batch, [kvHeads, groups], seq, [D]));
      const k5 = g.one('Unsqueeze', [g.one('Transpose', [k], { perm: ints([0, 2, 3, 1]) }), g.ints([2])]);
      const v5 = g.one('Unsqueeze', [g.one('Transpose', [reshape(v, kvHeadsShape)], { perm: ints([0, 2, 1, 3]) }), g.ints([2])]);
      const scores = g.one('Add', [g.one('Mul', [g.one('MatMul', [q5, k5]), g.scalar(scale)]), cpuMask]);
      const probabilities = g.one('Softmax', [scores], { axis: int(-1) });
      const heads4 = reshape(g.one('MatMul', [probabilities, v5]), shape(batch, [heads], seq, [D]));
      context = g.one('Transpose', [heads4], { perm: ints([0, 2, 1, 3]) });
    }
    return linear(flat(context, heads * D), `${layer}.self_attn.o_proj`, H, heads * D, arch.oBias);
  };

  let hidden = flat(g.one('Gather', [weight(embedTensor), ids], { axis: int(0) }), H);
  for (let l = 0; l < arch.layers; l++) {
    const layer = `layers.${l}`;
    const attended = attention(rmsNorm(hidden, weights.get(`${layer}.input_layernorm.weight`, [H])), layer);
    hidden = g.one('Add', [hidden, attended]);
    const x = rmsNorm(hidden, weights.get(`${layer}.post_attention_layernorm.weight`, [H]));
    const gate = linear(x, `${layer}.mlp.gate_proj`, M, H, false);
    const up = linear(x, `${layer}.mlp.up_proj`, M, H, false);
    const activated = g.one('Mul', [g.one('Mul', [gate, g.one('Sigmoid', [gate])]), up]);
    hidden = g.one('Add', [hidden, linear(activated, `${layer}.mlp.down_proj`, H, M, false)]);
  }
  hidden = rmsNorm(hidden, weights.get('norm.weight', [H]));
  if (dtype !== 'fp32') hidden = g.cast(hidden, DataType.FLOAT);
  const states = reshape(hidden, shape(batch, seq, [H]));

  const inputs: ValueInfoDef[] = [
    { name: 'input_ids', dataType: DataType.INT64, shape: ['batch', 'sequence'] },
    { name: 'attention_mask', dataType: DataType.INT64, shape: ['batch', 'sequence'] },
  ];
  let outputs: ValueInfoDef[];
  if (options.output === 'pooled') {
    // masked mean in float32: sum(h * w) / sum(w), one-hot weights give last-token pooling exactly
    inputs.push({ name: 'pooling_mask', dataType: DataType.FLOAT, shape: ['batch', 'sequence'] });
    const weighted = g.one('Mul', [states, g.one('Unsqueeze', ['pooling_mask', g.ints([2])])]);
    const sum = g.one('ReduceSum', [weighted, g.ints([1])], { keepdims: int(0) });
    const count = g.one('ReduceSum', ['pooling_mask', g.ints([1])], { keepdims: int(1) });
    g.nodes.push({ op: 'Div', inputs: [sum, count], outputs: ['sentence_embedding'], name: 'pool' });
    outputs = [{ name: 'sentence_embedding', dataType: DataType.FLOAT, shape: ['batch', H] }];
  } else {
    g.nodes.push({ op: 'Identity', inputs: [states], outputs: ['last_hidden_state'], name: 'hidden' });
    outputs = [{ name: 'last_hidden_state', dataType: DataType.FLOAT, shape: ['batch', 'sequence', H] }];
  }
  const bytes = encodeModel({
    // opset 17 / IR 8 is what Debian's onnx 1.12 checker validates; Attention-24 needs opset 24 (IR 11)
    irVersion: cuda ? 11 : 8,
    opsets: [{ domain: '', version: cuda ? 24 : 17 }],
    producer: { name: 'reasonir-graph-builder', version: String(GRAPH_BUILDER_VERSION) },
    graph: { name: `${arch.type}-encoder`, nodes: g.nodes, initializers: g.initializers, inputs, outputs },
    metadata: { attention: options.attention, flavour: options.flavour, compute_dtype: dtype },
  });
  return { bytes, computeDtype: dtype };
}


import { environmentError, throwIfAborted } from '../core/errors.js';
import { planBatches } from './batching.js';
import type { LoadedModel, Pooling, Role } from './model-config.js';
import { openCheckpointModel } from './graph/open-checkpoint.js';
import { openModel, type DeviceRequest, type InputTensor, type OrtModel } from './ort-backend.js';
import { normalizeInPlace, poolingSpan, poolRow } from './pooling.js';
import { TextTokenizer } from './tokenizer.js';

export const DEFAULT_BATCH_TOKENS = 16384;
const MAX_BATCH_ROWS = 512;

export interface EncodeOptions {
  instruction: string;
  role: Role;
  /** Defaults to the config's max length for the role. */
  maxLength?: number;
  /** Explicit batches of row indices (tests reproduce reference batches); default: length-sorted under the token budget. */
  batches?: number[][];
  signal?: AbortSignal;
  /** Called after every batch with the rows and real (unpadded) tokens it encoded. */
  onBatch?: (rows: number, tokens: number) => void;
}

export interface EncodeResult {
  /** rows x dim, in input order. */
  vectors: Float32Array;
  dim: number;
  /** Rows with nothing to pool (no tokens, or only instruction tokens): left as zero vectors. */
  emptyRows: number[];
}

/**
 * Text -> vector for one ONNX encoder: tokenize (HF truncation), batch by length, run, pool, normalise.
 * Two graph shapes are accepted: `last_hidden_state [batch, seq, dim]` (pooled here) or a pooled
 * `[batch, dim]` output from tools/export-onnx.py, which takes a `pooling_mask` input so only
 * [batch, dim] floats leave the device.
 */
export class DenseEncoder {
  private constructor(
    readonly model: LoadedModel,
    readonly tokenizer: TextTokenizer,
    private readonly session: OrtModel,
    private readonly outputName: string,
    private readonly pooledGraph: boolean,
    readonly batchTokens: number,
    /** The arithmetic dtype the graph runs in (recorded in the manifest and the cache key). */
    readonly dtype: string,
    /** Rows x longest² per batch, for graphs that materialise attention scores. */
    private readonly scoreBudget: number,
  ) {}

  static async open(model: LoadedModel, device: DeviceRequest, batchTokens = DEFAULT_BATCH_TOKENS, options: { force?: boolean } = {}): Promise<DenseEncoder> {
    const tokenizer = await TextTokenizer.load(model.files.tokenizer, model.files.tokenizerConfig, { appendEos: model.config.build?.appendEos });
    let session: OrtModel;
    let dtype: string = model.config.dtype;
    let scoreBudget = Number.POSITIVE_INFINITY;
    if (model.checkpoint) {
      const opened = await openCheckpointModel(model, tokenizer, device, options.force ?? false);
      ({ session, dtype, scoreBudget } = opened);
    } else {
      session = await openModel(model.files.model, device);
    }
    const output =
      session.outputs.find((info) => info.name === 'sentence_embedding') ??
      session.outputs.find((info) => info.name === 'last_hidden_state') ??
      session.outputs[0];
    if (!output) throw environmentError('model.no_output', `onnx: ${model.files.model} has no outputs`);
    const pooledGraph = output.shape.length === 2;
    const known = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'position_ids', 'pooling_mask']);
    const unknown = session.inputs.filter((input) => !known.has(input.name)).map((input) => input.name);
    if (unknown.length > 0) {
      throw environmentError(
        'model.inputs',
        `onnx: ${model.files.model} expects inputs this harness cannot feed (${unknown.join(', ')}); export an encoder-only graph with tools/export-onnx.py`,
      );
    }
    if (pooledGraph && !session.inputs.some((input) => input.name === 'pooling_mask')) {
      throw environmentError('model.inputs', `onnx: ${model.files.model} has a pooled output but no pooling_mask input, so the configured pooling cannot be applied`);
    }
    return new DenseEncoder(model, tokenizer, session, output.name, pooledGraph, batchTokens, dtype, scoreBudget);
  }

  get provider(): 'cpu' | 'cuda' {
    return this.session.provider;
  }

  get pooling(): Pooling {
    return this.model.config.pooling;
  }

  async encode(texts: readonly string[], options: EncodeOptions): Promise<EncodeResult> {
    const maxLength = options.maxLength ?? this.model.config.maxLength[options.role];
    const { instruction } = options;
    const skip = this.pooling === 'mean_excluding_instruction' ? this.tokenizer.instructionLength(instruction, maxLength) : 0;
    const ids = texts.map((text) => this.tokenizer.encode(instruction + text, maxLength));
    const batches = options.batches ?? planBatches(ids.map((row) => row.length), this.batchTokens, MAX_BATCH_ROWS, this.scoreBudget);
    let vectors: Float32Array | undefined;
    let dim = 0;
    const emptyRows: number[] = [];
    for (const batch of batches) {
      throwIfAborted(options.signal);
      const rows = batch.map((index) => ids[index]!);
      const spans = rows.map((row) => poolingSpan(this.pooling, row.length, skip));
      const tokens = rows.reduce((sum, row) => sum + row.length, 0);
      const sequence = Math.max(0, ...rows.map((row) => row.length));
      if (sequence > 0 && spans.some((span) => span !== null)) {
        const pooled = await this.runBatch(rows, spans, sequence);
        if (!vectors) {
          dim = pooled.dim;
          vectors = new Float32Array(texts.length * dim);
        }
        for (let r = 0; r < batch.length; r++) {
          if (spans[r] === null) continue;
          const offset = batch[r]! * dim;
          vectors.set(pooled.data.subarray(r * dim, (r + 1) * dim), offset);
          if (this.model.config.normalize) normalizeInPlace(vectors, offset, dim);
        }
      }
      for (let r = 0; r < batch.length; r++) if (spans[r] === null) emptyRows.push(batch[r]!);
      options.onBatch?.(batch.length, tokens);
    }
    if (!vectors) {
      dim = await this.dimension();
      vectors = new Float32Array(texts.length * dim);
    }
    return { vectors, dim, emptyRows: emptyRows.sort((a, b) => a - b) };
  }

  /** The embedding width, from the graph's metadata or, when symbolic, by encoding one token. */
  async dimension(): Promise<number> {
    const output = this.session.outputs.find((info) => info.name === this.outputName)!;
    const last = output.shape[output.shape.length - 1];
    if (typeof last === 'number' && last > 0) return last;
    const row = [...this.tokenizer.prefixIds, ...this.tokenizer.encode('a', 8)].slice(0, 1);
    return (await this.runBatch([row], [[0, 1]], 1)).dim;
  }

  private async runBatch(rows: number[][], spans: ([number, number] | null)[], sequence: number): Promise<{ data: Float32Array; dim: number }> {
    const count = rows.length;
    const size = count * sequence;
    const inputIds = new BigInt64Array(size).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(size);
    // left padding (Qwen3-Embedding) puts each row's tokens at the end; positions stay 0..S-1 over the padded row
    const shift = (row: number[]) => (this.tokenizer.paddingSide === 'left' ? sequence - row.length : 0);
    for (let r = 0; r < count; r++) {
      const row = rows[r]!;
      const start = r * sequence + shift(row);
      for (let t = 0; t < row.length; t++) {
        inputIds[start + t] = BigInt(row[t]!);
        mask[start + t] = 1n;
      }
    }
    const placed = spans.map((span, r): [number, number] | null => (span ? [span[0] + shift(rows[r]!), span[1] + shift(rows[r]!)] : null));
    const feeds: Record<string, InputTensor> = {};
    const dims = [count, sequence];
    for (const input of this.session.inputs) {
      const int32 = input.type === 'int32';
      const integer = (values: BigInt64Array): InputTensor =>
        int32 ? { type: 'int32', data: Int32Array.from(values, (v) => Number(v)), dims } : { type: 'int64', data: values, dims };
      switch (input.name) {
        case 'input_ids':
          feeds[input.name] = integer(inputIds);
          break;
        case 'attention_mask':
          feeds[input.name] = integer(mask);
          break;
        case 'token_type_ids':
          feeds[input.name] = integer(new BigInt64Array(size));
          break;
        case 'position_ids': {
          const positions = new BigInt64Array(size);
          for (let r = 0; r < count; r++) for (let t = 0; t < sequence; t++) positions[r * sequence + t] = BigInt(t);
          feeds[input.name] = integer(positions);
          break;
        }
        case 'pooling_mask': {
          const weights = new Float32Array(size);
          placed.forEach((span, r) => {
            if (span) weights.fill(1, r * sequence + span[0], r * sequence + span[1]);
          });
          feeds[input.name] = { type: 'float32', data: weights, dims };
          break;
        }
      }
    }
    const output = (await this.session.run(feeds))[this.outputName];
    if (!output || !(output.data instanceof Float32Array)) throw environmentError('model.output_type', `onnx: output ${this.outputName} is not a float tensor`);
    if (this.pooledGraph) return { data: output.data, dim: output.dims[1]! };
    const dim = output.dims[2]!;
    const pooled = new Float32Array(count * dim);
    placed.forEach((span, r) => {
      if (span) poolRow(output.data as Float32Array, r, sequence, dim, span, pooled, r * dim);
    });
    return { data: pooled, dim };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The only module that imports onnxruntime-node. Everything else sees plain typed arrays and dims.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { environmentError, usageError } from '../core/errors.js';
import { log } from '../core/log.js';
import { runEnv } from '../core/run-context.js';
import { bfloatToFloat, widenHalves } from './half-float.js';

process.env.ORT_DISABLE_TELEMETRY ??= '1';
// onnxruntime's CUDA provider turns TF32 on by default (`use_tf32`, which the Node binding cannot set), so on
// Ampere and newer GPUs every float32 MatMul/Gemm — the encoder's and the exact search's — would round its inputs
// to 10 mantissa bits: embeddings off the fp32 references by ~1e-3 and near-ties reordered. PyTorch, which
// produced BRIGHT's and ReasonIR's numbers, keeps float32 matmuls in full precision by default. cuBLAS and cuDNN
// honour this variable when they initialise, i.e. when the first CUDA session opens; an explicit setting wins.
process.env.NVIDIA_TF32_OVERRIDE ??= '0';
// required (a CommonJS package) after the variables above are set, and without a top-level await, which would keep
// the CLI's bundler (tools/bundle-cli.mjs) from merging any chunks
const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<typeof ort.InferenceSession.create>>;
type Tensor = InstanceType<typeof ort.Tensor>;

export interface DeviceRequest {
  kind: 'auto' | 'cpu' | 'cuda';
  deviceId: number;
}

export function parseDevice(text: string | undefined): DeviceRequest {
  const value = (text ?? 'auto').trim().toLowerCase();
  if (value === 'auto' || value === 'cpu' || value === 'cuda') return { kind: value, deviceId: 0 };
  const match = /^cuda:(\d+)$/.exec(value);
  if (match) return { kind: 'cuda', deviceId: Number(match[1]) };
  throw usageError('bad_device', `device: "${text}" is not one of auto, cpu, cuda, cuda:N`);
}

export type InputTensor =
  | { type: 'int64'; data: BigInt64Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] }
  | { type: 'float32'; data: Float32Array; dims: number[] };

export interface OutputTensor {
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export interface ValueInfo {
  name: string;
  type: string;
  /** numbers for fixed axes, strings for symbolic ones */
  shape: (number | string)[];
}

export interface OrtModel {
  readonly provider: 'cpu' | 'cuda';
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  /**
   * `into` names float32 outputs to write into caller-owned memory (reused from run to run: no fresh buffer, no
   * first-touch page faults per run); the result then holds the other outputs only.
   */
  run(feeds: Record<string, InputTensor>, into?: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
}

const CUDA_HELP =
  'The CUDA execution provider is not installed. onnxruntime-node downloads it at install time only when asked:\n' +
  '  ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js\n' +
  'It needs an NVIDIA driver with CUDA 12 and cuDNN 9 libraries on the library path. Use --device cpu to run without a GPU.';

let cudaFailure: string | undefined;
let warnedFallback = false;

/** Why CUDA cannot be used, or undefined when it may be (the session creation has the last word). */
function cudaProblem(): string | undefined {
  if (cudaFailure) return cudaFailure;
  const backend = ort.listSupportedBackends().find((entry) => entry.name === 'cuda');
  if (!backend) return 'this onnxruntime-node build has no CUDA backend on this platform';
  if (process.platform === 'linux') {
    // checked first so a missing provider gives our message rather than onnxruntime's stderr noise
    const packageMain = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bindingDir = path.join(path.dirname(packageMain), '..', 'bin', 'napi-v6', process.platform, process.arch);
    if (!existsSync(path.join(bindingDir, 'libonnxruntime_providers_cuda.so'))) return `libonnxruntime_providers_cuda.so is not in ${bindingDir}`;
  }
  return undefined;
}

function sessionOptions(provider: 'cpu' | 'cuda', deviceId: number, purpose: 'encode' | 'search', externalDataFolder?: string) {
  const session = {
    // a graph loaded from bytes resolves its external data (weights kept in place in .safetensors files) here
    ...(externalDataFolder ? { model_external_initializers_file_folder_path: externalDataFolder } : {}),
    // the exact search alternates one Gemm with JS selection on the main thread: a pool thread spinning through the
    // selection burnt ~0.3 s of CPU per 400k x 142 search and, on a loaded machine, slowed it (wall 3.3-4.2 s vs
    // 4.1-6.0 s at load 11); it now sleeps until the next Gemm
    ...(purpose === 'search' ? { intra_op: { allow_spinning: '0' } } : {}),
  };
  return {
    ...(Object.keys(session).length > 0 ? { extra: { session } } : {}),
    executionProviders: provider === 'cuda' ? [{ name: 'cuda' as const, deviceId }] : ['cpu'],
    graphOptimizationLevel: 'all' as const,
    intraOpNumThreads: Number(runEnv().REASONIR_THREADS) || os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    enableCpuMemArena: true,
    enableMemPattern: true,
    // REASONIR_ORT_LOG_LEVEL=0 shows onnxruntime's verbose log (which kernels run; the GPU bench reads it)
    logSeverityLevel: ortLogLevel(),
  };
}

function ortLogLevel(): 0 | 1 | 2 | 3 | 4 {
  const level = Number(process.env.REASONIR_ORT_LOG_LEVEL ?? 3);
  return ([0, 1, 2, 3, 4] as const).find((value) => value === level) ?? 3;
}

/** A graph built for the provider it will run on, with external data resolved against `externalDataFolder`. */
export interface BuiltModelSource {
  build(provider: 'cpu' | 'cuda'): Uint8Array;
  externalDataFolder: string;
}

/**
 * Opens an ONNX model on the requested device. `auto` tries CUDA and falls back to the CPU, with one warning per
 * process when the model is an encoder (`purpose: 'encode'`): a search graph on the CPU costs little, so its
 * fallback is silent. An explicit `cuda` that cannot be used is an environment error (exit 3).
 */
export async function openModel(model: string | Uint8Array | BuiltModelSource, device: DeviceRequest, purpose: 'encode' | 'search' = 'encode'): Promise<OrtModel> {
  const built = typeof model === 'string' || model instanceof Uint8Array ? undefined : model;
  const source = (provider: 'cpu' | 'cuda') => (built ? built.build(provider) : (model as string | Uint8Array));
  const folder = built?.externalDataFolder;
  let session: Session | undefined;
  let provider: 'cpu' | 'cuda' = 'cpu';
  if (device.kind !== 'cpu') {
    let problem = cudaProblem();
    if (!problem) {
      // built outside the try: a checkpoint the builder refuses is a data error, not an unusable GPU
      const graph = source('cuda');
      try {
        session = await createSession(graph, sessionOptions('cuda', device.deviceId, purpose, folder));
        provider = 'cuda';
      } catch (error) {
        problem = `creating a CUDA session failed: ${(error as Error).message}`;
        cudaFailure = problem;
      }
    }
    if (problem) {
      if (device.kind === 'cuda') throw environmentError('device.unavailable', `device: cuda:${device.deviceId} is unavailable (${problem}).\n${CUDA_HELP}`);
      if (purpose === 'encode' && !warnedFallback) {
        warnedFallback = true;
        log.warn(`device auto: CUDA unavailable (${problem}); encoding on the CPU. ${CUDA_HELP.split('\n')[1]?.trim() ?? ''}`);
      }
    }
  }
  session ??= await createSession(source('cpu'), sessionOptions('cpu', 0, purpose, folder));
  const describe = (metadata: readonly unknown[]): ValueInfo[] =>
    metadata.map((entry) => {
      const info = entry as { name: string; isTensor: boolean; type?: string; shape?: (number | string)[] };
      return { name: info.name, type: info.type ?? 'unknown', shape: info.shape ?? [] };
    });
  const opened = session;
  return {
    provider,
    inputs: describe(opened.inputMetadata),
    outputs: describe(opened.outputMetadata),
    async run(feeds, into) {
      const tensors: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) tensors[name] = new ort.Tensor(tensor.type, tensor.data, tensor.dims);
      const fetches: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(into ?? {})) fetches[name] = new ort.Tensor('float32', tensor.data, tensor.dims);
      const results = into ? await opened.run(tensors, fetches) : await opened.run(tensors);
      const outputs: Record<string, OutputTensor> = {};
      for (const [name, value] of Object.entries(results) as [string, Tensor][]) {
        if (!(name in fetches)) outputs[name] = { data: toPlainArray(value.type, value.data), dims: [...value.dims] };
      }
      return outputs;
    },
    release: () => opened.release(),
  };
}

async function createSession(source: string | Uint8Array, options: ReturnType<typeof sessionOptions>): Promise<Session> {
  try {
    return typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options);
  } catch (error) {
    if (options.executionProviders[0] !== 'cpu') throw error;
    const message = (error as Error).message;
    // onnxruntime's CPU provider lacks bfloat16 kernels for most operators; its own message does not say so
    const hint = /Could not find an implementation/.test(message)
      ? '; the CPU provider has no kernel for an operator of this graph (bf16 exports need --device cuda, or export in fp32/fp16)'
      : '';
    throw environmentError('model.load_failed', `onnx: cannot load ${typeof source === 'string' ? source : 'the model'}: ${message}${hint}`, error);
  }
}

/** float16/bfloat16 outputs (half-precision exports) are widened here so callers only see float32. */
function toPlainArray(type: string, data: unknown): Float32Array | BigInt64Array {
  if (type === 'float32') return data as Float32Array;
  if (type === 'int64') return data as BigInt64Array;
  if (type === 'float16' || type === 'bfloat16') {
    const bits = new Uint16Array((data as Uint16Array).buffer, (data as Uint16Array).byteOffset, (data as Uint16Array).length);
    const out = new Float32Array(bits.length);
    if (type === 'float16') widenHalves(bits, out);
    else for (let i = 0; i < bits.length; i++) out[i] = bfloatToFloat(bits[i]!);
    return out;
  }
  throw environmentError('model.output_type', `onnx: output type ${type} is not supported (expected float32, float16 or bfloat16)`);
}

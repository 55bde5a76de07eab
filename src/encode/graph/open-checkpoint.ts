import { dataError, environmentError } from '../../core/errors.js';
import type { LoadedModel } from '../model-config.js';
import { openModel, type DeviceRequest, type OrtModel } from '../ort-backend.js';
import type { TextTokenizer } from '../tokenizer.js';
import { parameterCount } from './architecture.js';
import { cpuCostEstimate, prepareCheckpoint } from './checkpoint.js';
import { buildDecoderGraph, type ComputeDtype } from './decoder-graph.js';

/** Above this many parameters a CPU run takes hours per task, so it needs --force. */
const CPU_PARAMETER_LIMIT = 2e9;
/** Attention score elements (rows x heads x S x S) one CPU batch may materialise: 2^28 floats, 1 GiB. */
const CPU_SCORE_ELEMENTS = 2 ** 28;

/** Score elements a CUDA batch with an explicit mask may materialise: 2^31 (4 GiB in bf16). */
const CUDA_MASKED_SCORE_ELEMENTS = 2 ** 31;

export interface OpenedCheckpoint {
  session: OrtModel;
  dtype: ComputeDtype;
  /** For the batch planner: rows x longest² per batch. */
  scoreBudget: number;
}

/**
 * Builds the encoder graph for the provider onnxruntime ends up on (cuda: checkpoint dtype and Attention-24; cpu:
 * float32) and opens it with the weights read in place from the checkpoint's .safetensors files.
 */
export async function openCheckpointModel(model: LoadedModel, tokenizer: TextTokenizer, device: DeviceRequest, force: boolean): Promise<OpenedCheckpoint> {
  const checkpoint = model.checkpoint!;
  const attention = model.config.build!.attention;
  const prepared = await prepareCheckpoint(checkpoint);
  const { arch } = prepared;
  if (tokenizer.maxTokenId >= arch.vocabSize) {
    throw dataError(
      'checkpoint.vocab_mismatch',
      `checkpoint: ${model.files.tokenizer} can emit token id ${tokenizer.maxTokenId} but ${checkpoint.config} field vocab_size is ${arch.vocabSize} (embedding rows); the tokenizer belongs to another model`,
    );
  }
  const parameters = parameterCount(arch);
  let dtype: ComputeDtype = 'fp32';
  const session = await openModel(
    {
      externalDataFolder: prepared.externalDataFolder,
      build: (provider) => {
        if (provider === 'cpu' && parameters > CPU_PARAMETER_LIMIT && !force) {
          const estimate = cpuCostEstimate(parameters);
          throw environmentError(
            'device.cpu_too_large',
            `device: ${model.source} has ${(parameters / 1e9).toFixed(1)}B encoder parameters; on the CPU in float32 it needs about ${Math.ceil(estimate.gigabytes)} GB of memory ` +
              `and roughly ${Math.round(estimate.secondsPer1kTokens)} s per 1,000 tokens (days for a BRIGHT task). Use --device cuda, or pass --force to run it on the CPU anyway.`,
          );
        }
        const built = buildDecoderGraph(arch, prepared.tensors, checkpoint.config, {
          flavour: provider,
          attention,
          leftPadding: tokenizer.paddingSide === 'left',
          output: 'pooled',
          locate: prepared.locate,
        });
        dtype = built.computeDtype;
        return built.bytes;
      },
    },
    device,
  );
  // on CUDA, Attention-24's fast paths (right padding: key lengths, or is_causal without a window) need no S x S
  // tensor; the explicit-mask path (left padding, Mistral's window) materialises one in the compute dtype
  const leftPadding = tokenizer.paddingSide === 'left';
  const fastCuda = !leftPadding && (attention === 'bidirectional' || arch.slidingWindow === null);
  const scoreBudget = session.provider === 'cpu' ? CPU_SCORE_ELEMENTS / arch.heads : fastCuda ? Number.POSITIVE_INFINITY : CUDA_MASKED_SCORE_ELEMENTS / arch.heads;
  return { session, dtype, scoreBudget };
}

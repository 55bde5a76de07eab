import { reasonirCacheDir } from '../core/cache-dir.js';
import type { Retriever } from '../core/types.js';
import { DenseEncoder } from '../encode/encoder.js';
import { loadModel } from '../encode/model-config.js';
import { modelFingerprint } from '../encode/model-fingerprint.js';
import { modelIdentity } from '../encode/model-identity.js';
import { parseDevice } from '../encode/ort-backend.js';
import { DenseRetriever } from './dense/dense-retriever.js';

export interface DenseOptions {
  /** config name (configs/models/<name>.json) or a local model directory */
  model: string;
  /** auto | cpu | cuda | cuda:N (default auto) */
  device?: string;
  /** padded tokens per encoding batch */
  batchTokens?: number;
  /** run a checkpoint of over 2B parameters on the CPU anyway */
  force?: boolean;
  /** cache root (default: REASONIR_CACHE or ~/.cache/reasonir); embeddings live in <root>/embeddings/ */
  cacheDir?: string;
  /** interrupts a model download */
  signal?: AbortSignal;
  /** rows per cache chunk (the unit of resume and of sharding); default 2048 */
  chunkRows?: number;
}

/**
 * The dense retriever: model files resolved (config name via the HF cache, or a local directory), the ONNX
 * session opened on the device, so device and model problems surface before any data is loaded.
 */
export async function createDenseRetriever(options: DenseOptions): Promise<Retriever> {
  const device = parseDevice(options.device);
  const model = await loadModel(options.model, options.signal);
  const encoder = await DenseEncoder.open(model, device, options.batchTokens, { force: options.force });
  const cacheRoot = options.cacheDir ?? reasonirCacheDir();
  // hashed once here (remembered by path, size and mtime): the label, the manifest and the cache key all need it
  const fingerprint = await modelFingerprint(model, cacheRoot);
  return new DenseRetriever(encoder, {
    fingerprint,
    identity: modelIdentity(model, fingerprint),
    cacheRoot,
    device,
    chunkRows: options.chunkRows,
  });
}

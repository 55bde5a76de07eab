import path from 'node:path';
import { sha256Hex } from '../core/hash.js';
import type { LoadedModel } from './model-config.js';

export type ModelFingerprint = Record<string, string | string[]>;

export interface ModelIdentity {
  /**
   * What results and tables call the model, and the key its published rows are found by: a config's name, or for a
   * local folder `<folder>@<12 hex of its weights' sha256>` unless its weights are the registered checkpoint's.
   */
  label: string;
  /** Whether the weights are the ones the label's published numbers were measured with. */
  weightsVerified: boolean;
}

/** The sha256s of the files that hold the weights (graph and external data, or a checkpoint's safetensors). */
export function weightHashes(fingerprint: ModelFingerprint): string[] {
  const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
  return fingerprint.weightsSha256 !== undefined ? list(fingerprint.weightsSha256) : [...list(fingerprint.onnxSha256), ...list(fingerprint.externalDataSha256)];
}

/**
 * A named config's files come from its registry pins, so it stands for its published rows. A local folder whose
 * reasonir.json extends a config may be anything (a random-weight test export, a fine-tune): it stands for the
 * config only when its weight hashes equal the config's registered `weightsSha256`; otherwise it is its own model,
 * and `eval --compare-as NAME` is the explicit, recorded way to set it against NAME's rows anyway.
 */
export function modelIdentity(model: LoadedModel, fingerprint: ModelFingerprint): ModelIdentity {
  if (!model.source.startsWith('dir:')) return { label: model.family, weightsVerified: true };
  const hashes = weightHashes(fingerprint);
  const registered = model.config.weightsSha256;
  const extendsConfig = model.family !== path.basename(model.source.slice('dir:'.length));
  if (extendsConfig && registered && registered.length === hashes.length && registered.every((hash, i) => hash === hashes[i])) {
    return { label: model.family, weightsVerified: true };
  }
  const digest = hashes.length === 1 ? hashes[0]! : sha256Hex(hashes.join('\n'));
  return { label: `${path.basename(model.source.slice('dir:'.length))}@${digest.slice(0, 12)}`, weightsVerified: false };
}

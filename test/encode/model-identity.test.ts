import { describe, expect, it } from 'vitest';
import type { LoadedModel } from '../../src/encode/model-config.js';
import { modelIdentity } from '../../src/encode/model-identity.js';

const onnx = 'a'.repeat(64);
const data = 'b'.repeat(64);
const fingerprint = { onnxSha256: onnx, externalDataSha256: [data], tokenizerSha256: 'c'.repeat(64), tokenizerConfigSha256: 'd'.repeat(64) };

function folder(registered?: string[], family = 'reasonir'): LoadedModel {
  return {
    config: { name: 'my-export', ...(registered ? { weightsSha256: registered } : {}) } as LoadedModel['config'],
    files: { model: '/m/my-export/model.onnx', externalData: ['/m/my-export/model.onnx_data'], tokenizer: '', tokenizerConfig: '' },
    source: 'dir:/m/my-export',
    family,
  };
}

describe('which published rows a model stands for', () => {
  it('a named config is itself', () => {
    expect(modelIdentity({ ...folder(), source: 'config:bge', family: 'bge' }, fingerprint)).toEqual({ label: 'bge', weightsVerified: true });
  });

  it('a folder extending a config is that config only when its weight hashes are the registered ones', () => {
    expect(modelIdentity(folder([onnx, data]), fingerprint)).toEqual({ label: 'reasonir', weightsVerified: true });
    // same graph, other external weights (a fine-tune, random weights): its own label from all weight hashes
    const other = modelIdentity(folder([onnx, 'e'.repeat(64)]), fingerprint);
    expect(other.weightsVerified).toBe(false);
    expect(other.label).toMatch(/^my-export@[0-9a-f]{12}$/);
    expect(other.label).not.toBe(`my-export@${onnx.slice(0, 12)}`);
    expect(modelIdentity(folder(undefined), fingerprint)).toEqual(other);
  });

  it('a folder extending nothing is labelled by its name and its only weight file', () => {
    const single = { ...fingerprint, externalDataSha256: [] };
    expect(modelIdentity(folder(undefined, 'my-export'), single)).toEqual({ label: `my-export@${onnx.slice(0, 12)}`, weightsVerified: false });
  });
});

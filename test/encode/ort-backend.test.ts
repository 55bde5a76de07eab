import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { openModel } from '../../src/encode/ort-backend.js';
import { repoRoot } from '../helpers/cli.js';

describe('onnxruntime backend errors', () => {
  it('explains that a bf16 graph has no CPU kernels instead of only relaying onnxruntime', async () => {
    // a single bfloat16 Gemm (written with python3-onnx): the CPU provider has no bf16 Gemm kernel
    const graph = path.join(repoRoot, 'test', 'fixtures', 'models', 'bf16-gemm.onnx');
    const error = await openModel(graph, { kind: 'cpu', deviceId: 0 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(3);
    expect((error as HarnessError).message).toMatch(/Could not find an implementation.*bf16 exports need --device cuda/);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArchitecture } from '../../../src/encode/graph/architecture.js';
import { prepareCheckpoint } from '../../../src/encode/graph/checkpoint.js';
import { buildDecoderGraph, type AttentionMode, type GraphFlavour } from '../../../src/encode/graph/decoder-graph.js';
import { inverseFrequencies } from '../../../src/encode/graph/rope.js';
import { openModel } from '../../../src/encode/ort-backend.js';
import { checkpointModel, HF_MODELS, hfModelDir, loadHfReferences, type HfModel } from './hf-fixtures.js';

async function prepared(name: HfModel) {
  const model = await checkpointModel(name, 'bidirectional');
  return prepareCheckpoint(model.checkpoint!);
}

describe('rotary inverse frequencies', () => {
  it.each(HF_MODELS)('%s: equal, bit for bit, to transformers float32 inv_freq (incl. llama3 scaling)', (name) => {
    const config = JSON.parse(readFileSync(path.join(hfModelDir(name), 'config.json'), 'utf8')) as Record<string, unknown>;
    const expected = (JSON.parse(readFileSync(path.join(hfModelDir(name), 'references.json'), 'utf8')) as { rope: { inv_freq_float32: number[] } }).rope.inv_freq_float32;
    expect(Array.from(inverseFrequencies(parseArchitecture(config, 'config.json')))).toEqual(expected.map((value) => Math.fround(value)));
  });
});

/**
 * last_hidden_state at real positions against transformers' float64 run, for both graph flavours: the cuda
 * flavour (Attention-24 with grouped-query heads and key lengths or an explicit mask, RMSNormalization with float32
 * statistics) is built in float32 here so the CPU provider can run the same operators a GPU would.
 */
describe.each(HF_MODELS)('%s hidden_state_check', (name) => {
  const references = loadHfReferences(name);
  const check = references.hidden_state_check;
  const leftPadding = references.tokenizer.padding_side === 'left';
  for (const flavour of ['cpu', 'cuda'] as GraphFlavour[]) {
    for (const mode of references.attention_modes as AttentionMode[]) {
      it(`${flavour} flavour, ${mode}: every real position within 1e-5`, async () => {
        const checkpoint = await prepared(name);
        const session = await openModel(
          {
            externalDataFolder: checkpoint.externalDataFolder,
            build: () => buildDecoderGraph(checkpoint.arch, checkpoint.tensors, 'config.json', { flavour, attention: mode, leftPadding, output: 'hidden', computeDtype: 'fp32', locate: checkpoint.locate }).bytes,
          },
          { kind: 'cpu', deviceId: 0 },
        );
        const rows = check.input_ids.length;
        const width = check.input_ids[0]!.length;
        const tensor = (values: number[][]) => ({ type: 'int64' as const, data: BigInt64Array.from(values.flat().map(BigInt)), dims: [rows, width] });
        const output = await session.run({ input_ids: tensor(check.input_ids), attention_mask: tensor(check.attention_mask) });
        await session.release();
        const hidden = output.last_hidden_state!.data as Float32Array;
        const size = checkpoint.arch.hiddenSize;
        let worst = 0;
        let compared = 0;
        check.last_hidden_state[mode]!.forEach((row, r) =>
          row.forEach((vector, t) => {
            if (check.attention_mask[r]![t] !== 1) return;
            vector.forEach((value, j) => {
              worst = Math.max(worst, Math.abs(hidden[(r * width + t) * size + j]! - value!));
              compared++;
            });
          }),
        );
        expect(compared).toBeGreaterThan(0);
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }
});

/** Debian's python3-onnx (1.12, opset <= 17) checks the cpu flavour's protobuf, shapes and external data entries. */
const onnxChecker = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' });
describe('onnx.checker', () => {
  if (onnxChecker.status !== 0) {
    it('the cpu-flavour graphs pass check_model(full_check=True)', (ctx) => ctx.skip('python3-onnx is not installed (apt-get install python3-onnx)'));
    return;
  }
  it.each(HF_MODELS)('%s: the cpu-flavour graph passes check_model(full_check=True)', async (name) => {
    const checkpoint = await prepared(name);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-onnx-check-'));
    try {
      // the checker resolves external data beside the model file, so the weights are linked into a scratch folder
      for (const file of new Set([...checkpoint.tensors.values()].map((tensor) => tensor.file))) {
        symlinkSync(path.join(checkpoint.externalDataFolder, checkpoint.locate(file)), path.join(dir, checkpoint.locate(file)));
      }
      const graph = buildDecoderGraph(checkpoint.arch, checkpoint.tensors, 'config.json', { flavour: 'cpu', attention: 'causal', leftPadding: false, output: 'pooled', locate: checkpoint.locate });
      writeFileSync(path.join(dir, 'model.onnx'), graph.bytes);
      const out = execFileSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(sys.argv[1], full_check=True); m=onnx.load(sys.argv[1], load_external_data=False); print(len(m.graph.initializer), m.opset_import[0].version)', path.join(dir, 'model.onnx')], { encoding: 'utf8' });
      const [initializers, opset] = out.trim().split(' ').map(Number);
      expect(opset).toBe(17);
      expect(initializers).toBeGreaterThan(checkpoint.arch.layers * 9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

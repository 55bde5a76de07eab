import { describe, expect, it } from 'vitest';
import { DenseEncoder } from '../../src/encode/encoder.js';
import { loadModel, type LoadedModel, type Pooling } from '../../src/encode/model-config.js';
import { TextTokenizer } from '../../src/encode/tokenizer.js';
import { fixtureModelDir, loadReferences, modelAvailable, MODEL_NAMES, POOLINGS } from './helpers.js';

const TOLERANCE = 1e-5;

function maxAbsDiff(actual: Float32Array, expected: number[]): number {
  let worst = 0;
  expected.forEach((value, j) => (worst = Math.max(worst, Math.abs(actual[j]! - value))));
  return worst;
}

async function encoderWith(model: LoadedModel, pooling: Pooling): Promise<DenseEncoder> {
  return DenseEncoder.open({ ...model, config: { ...model.config, pooling, normalize: true } }, { kind: 'cpu', deviceId: 0 });
}

describe.each(MODEL_NAMES)('%s references.json', (name) => {
  if (!modelAvailable(name)) {
    it.skip(`needs ${name}/model.onnx from ../shared/models`, () => {});
    return;
  }
  const references = loadReferences(name);
  const maxLengths = Object.keys(references.results);

  it('token ids equal the HF tokenizer ids for every text, with and without the instruction, at every max length', async () => {
    const model = await loadModel(fixtureModelDir(name));
    const tokenizer = await TextTokenizer.load(model.files.tokenizer, model.files.tokenizerConfig);
    let compared = 0;
    for (const maxLength of maxLengths) {
      const result = references.results[maxLength]!;
      references.texts.forEach((text, i) => {
        expect(tokenizer.encode(text, Number(maxLength))).toEqual(result.input_ids[i]);
        expect(tokenizer.encode(references.instruction + text, Number(maxLength))).toEqual(result.instruction_input_ids[i]);
        compared += 2;
      });
      expect(tokenizer.instructionLength(references.instruction, Number(maxLength))).toBe(
        Math.min(references.instruction_positions_excluded, Number(maxLength)),
      );
    }
    expect(compared).toBe(references.texts.length * 2 * maxLengths.length);
  });

  it('pads exactly like the reference batches', async () => {
    const model = await loadModel(fixtureModelDir(name));
    const tokenizer = await TextTokenizer.load(model.files.tokenizer, model.files.tokenizerConfig);
    const batch = references.results['16']!.padded_batches[0]!;
    const rows = batch.text_indices.map((i) => tokenizer.encode(references.texts[i]!, 16));
    const width = Math.max(...rows.map((row) => row.length));
    expect(rows.map((row) => [...row, ...Array(width - row.length).fill(tokenizer.padId)])).toEqual(batch.input_ids);
  });

  for (const pooling of POOLINGS) {
    it(`${pooling}: every embedding within ${TOLERANCE} for max lengths 16/64/512, reference batches and our sorted batches`, async () => {
      const model = await loadModel(fixtureModelDir(name));
      const encoder = await encoderWith(model, pooling);
      const instruction = pooling === 'mean_excluding_instruction' ? references.instruction : '';
      let compared = 0;
      let worst = 0;
      for (const maxLength of maxLengths) {
        const expected = references.results[maxLength]!.embeddings[pooling];
        for (const batches of [references.batching.batches, undefined]) {
          const result = await encoder.encode(references.texts, { instruction, role: 'document', maxLength: Number(maxLength), batches });
          const expectedEmpty = expected.flatMap((vector, i) => (vector === null ? [i] : []));
          expect(result.emptyRows).toEqual(expectedEmpty);
          expected.forEach((vector, i) => {
            const actual = result.vectors.subarray(i * result.dim, (i + 1) * result.dim);
            if (vector === null) {
              expect(actual.every((v) => v === 0)).toBe(true);
              return;
            }
            expect(result.dim).toBe(vector.length);
            const diff = maxAbsDiff(actual, vector);
            worst = Math.max(worst, diff);
            expect(diff, `text ${i} at max length ${maxLength}`).toBeLessThan(TOLERANCE);
            compared++;
          });
        }
      }
      expect(compared).toBeGreaterThan(100);
      console.log(`${name} ${pooling}: ${compared} embeddings, max |diff| ${worst.toExponential(2)}`);
      await encoder.close();
    });
  }

  it('cosine pairs match', async () => {
    const model = await loadModel(fixtureModelDir(name));
    for (const pooling of POOLINGS) {
      const encoder = await encoderWith(model, pooling);
      const documentEncoder = pooling === 'mean_excluding_instruction' ? await encoderWith(model, 'mean') : encoder;
      const instruction = pooling === 'mean_excluding_instruction' ? references.instruction : '';
      for (const maxLength of maxLengths) {
        const queries = await encoder.encode(references.texts, { instruction, role: 'query', maxLength: Number(maxLength) });
        const documents = await documentEncoder.encode(references.texts, { instruction: '', role: 'document', maxLength: Number(maxLength) });
        for (const pair of references.cosine_pairs) {
          const expected = pair.cosine[maxLength]![pooling];
          if (expected === null) continue;
          let dot = 0;
          for (let j = 0; j < queries.dim; j++) dot += queries.vectors[pair.query * queries.dim + j]! * documents.vectors[pair.document * documents.dim + j]!;
          expect(Math.abs(dot - expected)).toBeLessThan(TOLERANCE);
        }
      }
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenseEncoder, type EncodeResult } from '../../src/encode/encoder.js';
import { loadModel, type LoadedModel, type Pooling } from '../../src/encode/model-config.js';
import { TextTokenizer } from '../../src/encode/tokenizer.js';
import { fixtureModelDir, loadReferences, MODEL_NAMES, POOLINGS } from './helpers.js';

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
  const references = loadReferences(name);
  const maxLengths = Object.keys(references.results);
  let model: LoadedModel;
  const encoders = new Map<Pooling, Promise<DenseEncoder>>();
  const encoded = new Map<string, Promise<EncodeResult>>();

  beforeAll(async () => {
    model = await loadModel(fixtureModelDir(name));
  });
  afterAll(async () => {
    for (const encoder of encoders.values()) await (await encoder).close();
  });

  /** Each reference set is encoded once per file: the embedding checks and the cosine pairs share it. */
  function encode(pooling: Pooling, maxLength: string, batches?: number[][]): Promise<EncodeResult> {
    const key = `${pooling} ${maxLength} ${batches ? 'reference' : 'ours'}`;
    let result = encoded.get(key);
    if (!result) {
      let encoder = encoders.get(pooling);
      if (!encoder) encoders.set(pooling, (encoder = encoderWith(model, pooling)));
      const instruction = pooling === 'mean_excluding_instruction' ? references.instruction : '';
      result = encoder.then((e) => e.encode(references.texts, { instruction, role: 'document', maxLength: Number(maxLength), batches }));
      encoded.set(key, result);
    }
    return result;
  }

  it('token ids equal the HF tokenizer ids for every text, with and without the instruction, at every max length', async () => {
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
    const tokenizer = await TextTokenizer.load(model.files.tokenizer, model.files.tokenizerConfig);
    const batch = references.results['16']!.padded_batches[0]!;
    const rows = batch.text_indices.map((i) => tokenizer.encode(references.texts[i]!, 16));
    const width = Math.max(...rows.map((row) => row.length));
    expect(rows.map((row) => [...row, ...Array(width - row.length).fill(tokenizer.padId)])).toEqual(batch.input_ids);
  });

  for (const pooling of POOLINGS) {
    it(`${pooling}: every embedding within ${TOLERANCE} for max lengths 16/64/512, reference batches and our sorted batches`, async () => {
      let compared = 0;
      let worst = 0;
      for (const maxLength of maxLengths) {
        const expected = references.results[maxLength]!.embeddings[pooling];
        for (const batches of [references.batching.batches, undefined]) {
          const result = await encode(pooling, maxLength, batches);
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
    });
  }

  it('cosine pairs match (queries with the pooling, documents mean-pooled without instruction for mean_excluding_instruction)', async () => {
    let compared = 0;
    for (const pooling of POOLINGS) {
      const documentPooling = pooling === 'mean_excluding_instruction' ? 'mean' : pooling;
      for (const maxLength of maxLengths) {
        // the role only picks the default max length, which is given here, so query and document encodings are shared
        const queries = await encode(pooling, maxLength);
        const documents = await encode(documentPooling, maxLength);
        for (const pair of references.cosine_pairs) {
          const expected = pair.cosine[maxLength]![pooling];
          if (expected === null) continue;
          let dot = 0;
          for (let j = 0; j < queries.dim; j++) dot += queries.vectors[pair.query * queries.dim + j]! * documents.vectors[pair.document * documents.dim + j]!;
          expect(Math.abs(dot - expected)).toBeLessThan(TOLERANCE);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(0);
  });
});

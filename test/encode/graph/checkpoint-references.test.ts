import { describe, expect, it } from 'vitest';
import { DenseEncoder } from '../../../src/encode/encoder.js';
import { checkpointModel, HF_MODELS, loadHfReferences, type HfModel, type HfReferences } from './hf-fixtures.js';

/**
 * The whole CPU pipeline against transformers' own modelling code (models/hf/README.md): text -> tokens (ids and
 * padded layout exactly equal) -> built graph -> pooling -> normalisation -> cosine, every max length, both sides,
 * every attention mode a reference gives, in the reference batches. 1e-5 is the README's safe float32 tolerance.
 */
const TOLERANCE = 1e-5;

/** The text put before each query/document: Qwen3-Embedding wraps its task sentence, the others use it as is. */
function instructionFor(references: HfReferences, side: 'queries' | 'documents'): string {
  if (side === 'documents') return references.document_instruction;
  return references.recipe === 'qwen3-embedding' ? `Instruct: ${references.query_instruction}\nQuery:` : references.query_instruction;
}

describe.each(HF_MODELS)('%s references.json through the graph builder (CPU, float32)', (name: HfModel) => {
  const references = loadHfReferences(name);
  for (const mode of references.attention_modes) {
    it(`${mode}: token ids, embeddings and cosines match at max lengths ${references.max_lengths.join('/')}`, async () => {
      const encoder = await DenseEncoder.open(await checkpointModel(name, mode), { kind: 'cpu', deviceId: 0 });
      expect(encoder.dtype).toBe('fp32');
      let embeddings = 0;
      let cosines = 0;
      let worst = 0;
      try {
        for (const maxLength of references.max_lengths) {
          const result = references.results[String(maxLength)]!;
          const vectors: Record<'queries' | 'documents', Float32Array[]> = { queries: [], documents: [] };
          const missing: Record<'queries' | 'documents', Set<number>> = { queries: new Set(), documents: new Set() };
          for (const side of ['queries', 'documents'] as const) {
            const expected = result[side];
            const instruction = instructionFor(references, side);
            // tokens: every row of every reference batch, padded as the reference padded it
            for (const batch of expected.batches) {
              const rows = batch.rows.map((i) => encoder.tokenizer.encode(instruction + references.texts[i]!, maxLength));
              const width = Math.max(...rows.map((row) => row.length));
              const padded = rows.map((row) => {
                const pads = Array<number>(width - row.length).fill(encoder.tokenizer.padId);
                return references.tokenizer.padding_side === 'left' ? [...pads, ...row] : [...row, ...pads];
              });
              expect(padded, `${side} batch ${batch.rows.join(',')} at ${maxLength}`).toEqual(batch.input_ids);
              expect(encoder.tokenizer.paddingSide).toBe(references.tokenizer.padding_side);
            }
            const encoded = await encoder.encode(references.texts, {
              instruction,
              role: side === 'queries' ? 'query' : 'document',
              maxLength,
              batches: expected.batches.map((batch) => batch.rows),
            });
            const reference = expected.embeddings[mode]!;
            expect(encoded.emptyRows).toEqual(reference.flatMap((vector, i) => (vector === null ? [i] : [])));
            reference.forEach((vector, i) => {
              const actual = encoded.vectors.subarray(i * encoded.dim, (i + 1) * encoded.dim);
              vectors[side].push(actual);
              if (vector === null) {
                missing[side].add(i);
                return;
              }
              expect(encoded.dim).toBe(vector.length);
              let diff = 0;
              vector.forEach((value, j) => (diff = Math.max(diff, Math.abs(actual[j]! - value))));
              worst = Math.max(worst, diff);
              expect(diff, `${side} text ${i} at max length ${maxLength}`).toBeLessThan(TOLERANCE);
              embeddings++;
            });
          }
          for (const pair of result.cosine_pairs[mode]!) {
            if (pair.cosine === null) {
              expect(missing.queries.has(pair.query) || missing.documents.has(pair.document)).toBe(true);
              continue;
            }
            const q = vectors.queries[pair.query]!;
            const d = vectors.documents[pair.document]!;
            let dot = 0;
            for (let j = 0; j < q.length; j++) dot += q[j]! * d[j]!;
            expect(Math.abs(dot - pair.cosine), `cosine q${pair.query}/d${pair.document} at ${maxLength}`).toBeLessThan(TOLERANCE);
            cosines++;
          }
        }
      } finally {
        await encoder.close();
      }
      console.log(`${name} ${mode}: ${embeddings} embeddings and ${cosines} cosines within ${TOLERANCE} (worst ${worst.toExponential(2)})`);
      expect(embeddings).toBeGreaterThan(0);
      expect(cosines).toBeGreaterThan(0);
    }, 300_000);
  }
});

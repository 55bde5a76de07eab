import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';

export const MODEL_NAMES = ['tiny-bert', 'tiny-llama-bidir'] as const;
export const POOLINGS = ['cls', 'mean', 'last_token', 'mean_excluding_instruction'] as const;

/**
 * The folder of a committed test model: tiny-bert whole, tiny-llama-bidir with its embedding trimmed to the
 * reference texts' vocabulary by tools/trim-onnx-vocab.mjs (same outputs on those texts; see that tool).
 */
export function fixtureModelDir(name: (typeof MODEL_NAMES)[number]): string {
  return path.join(repoRoot, 'test', 'fixtures', 'models', name);
}

type Pool = (typeof POOLINGS)[number];
export interface References {
  texts: string[];
  instruction: string;
  instruction_positions_excluded: number;
  batching: { batches: number[][] };
  results: Record<
    string,
    {
      input_ids: number[][];
      instruction_input_ids: number[][];
      embeddings: Record<Pool, (number[] | null)[]>;
      padded_batches: { text_indices: number[]; input_ids: number[][]; attention_mask: number[][] }[];
    }
  >;
  cosine_pairs: { query: number; document: number; cosine: Record<string, Record<Pool, number | null>> }[];
}

export function loadReferences(name: (typeof MODEL_NAMES)[number]): References {
  return JSON.parse(readFileSync(path.join(fixtureModelDir(name), 'references.json'), 'utf8')) as References;
}

/** A version 1.0 .npy file, as np.save writes it. */
export function npyBytes(values: Float32Array | Uint16Array, rows: number, descr: 'f4' | 'f2'): Buffer {
  const cols = values.length / rows;
  let header = `{'descr': '<${descr}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]);
}

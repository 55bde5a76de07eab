import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, sharedRoot } from '../helpers/cli.js';

export const MODEL_NAMES = ['tiny-bert', 'tiny-llama-bidir'] as const;
export const POOLINGS = ['cls', 'mean', 'last_token', 'mean_excluding_instruction'] as const;

const assembled = new Map<string, string>();

/**
 * The folder of a test model. tiny-bert is committed whole; tiny-llama-bidir's 6.5 MB graph is read from
 * ../shared/models (beside every checkout in CI) and joined, through symlinks in a temporary folder, with the
 * small committed files (tokenizer, references, reasonir.json).
 */
export function fixtureModelDir(name: string): string {
  const committed = path.join(repoRoot, 'test', 'fixtures', 'models', name);
  if (existsSync(path.join(committed, 'model.onnx'))) return committed;
  const cached = assembled.get(name);
  if (cached) return cached;
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'reasonir-model-')), name);
  process.once('exit', () => rmSync(path.dirname(dir), { recursive: true, force: true }));
  mkdirSync(dir);
  for (const file of readdirSync(committed)) symlinkSync(path.join(committed, file), path.join(dir, file));
  symlinkSync(sharedModel(name), path.join(dir, 'model.onnx'));
  assembled.set(name, dir);
  return dir;
}

function sharedModel(name: string): string {
  return path.join(sharedRoot, 'models', name, 'model.onnx');
}

/** Whether the model's graph is here: committed, or in ../shared (tests that need it skip otherwise). */
export function modelAvailable(name: string): boolean {
  return existsSync(path.join(repoRoot, 'test', 'fixtures', 'models', name, 'model.onnx')) || existsSync(sharedModel(name));
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

export function loadReferences(name: string): References {
  return JSON.parse(readFileSync(path.join(fixtureModelDir(name), 'references.json'), 'utf8')) as References;
}

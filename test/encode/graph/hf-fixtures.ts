import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedModel, ModelConfig, Pooling } from '../../../src/encode/model-config.js';
import { checkpointWeightFiles } from '../../../src/encode/graph/safetensors.js';
import { repoRoot, sharedRoot } from '../../helpers/cli.js';

/** The tiny checkpoints are committed whole; small-llama-hd128's 7.3 MB weights come from ../shared (CI has it). */
export const HF_MODELS = ['tiny-reasonir', 'tiny-gritlm', 'tiny-e5-mistral', 'tiny-gte-qwen2', 'tiny-qwen3-embed', 'small-llama-hd128'] as const;
export type HfModel = (typeof HF_MODELS)[number];

const committedRoot = path.join(repoRoot, 'test', 'fixtures', 'models', 'hf');
const assembled = new Map<string, string>();

function sharedWeights(name: string): string {
  return path.join(sharedRoot, 'models', 'hf', name, 'model.safetensors');
}

/** Whether the checkpoint's weights are here (committed, or in ../shared); tests skip with the reason otherwise. */
export function hfModelAvailable(name: HfModel): boolean {
  return existsSync(path.join(committedRoot, name, 'model.safetensors.index.json')) || existsSync(path.join(committedRoot, name, 'model.safetensors')) || existsSync(sharedWeights(name));
}

/** The checkpoint folder: committed, or assembled from the committed files and ../shared's weights via symlinks. */
export function hfModelDir(name: HfModel): string {
  const committed = path.join(committedRoot, name);
  if (existsSync(path.join(committed, 'model.safetensors.index.json')) || existsSync(path.join(committed, 'model.safetensors'))) return committed;
  const cached = assembled.get(name);
  if (cached) return cached;
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'reasonir-hf-')), name);
  process.once('exit', () => rmSync(path.dirname(dir), { recursive: true, force: true }));
  mkdirSync(dir);
  for (const file of readdirSync(committed)) symlinkSync(path.join(committed, file), path.join(dir, file));
  symlinkSync(sharedWeights(name), path.join(dir, 'model.safetensors'));
  assembled.set(name, dir);
  return dir;
}

export interface ReferenceBatch {
  rows: number[];
  input_ids: number[][];
  attention_mask: number[][];
}

export interface ReferenceSide {
  instruction?: string;
  batches: ReferenceBatch[];
  embeddings: Record<string, (number[] | null)[]>;
}

export interface HfReferences {
  recipe: 'reasonir' | 'gritlm' | 'bright-last-token' | 'qwen3-embedding';
  attention_modes: ('bidirectional' | 'causal')[];
  query_instruction: string;
  document_instruction: string;
  tokenizer: { padding_side: 'left' | 'right'; pad_token_id: number };
  max_lengths: number[];
  texts: string[];
  results: Record<string, { queries: ReferenceSide; documents: ReferenceSide; cosine_pairs: Record<string, { query: number; document: number; cosine: number | null }[]> }>;
  hidden_state_check: {
    max_length: number;
    input_ids: number[][];
    attention_mask: number[][];
    last_hidden_state: Record<string, (number | null)[][][]>;
  };
}

export function loadHfReferences(name: HfModel): HfReferences {
  return JSON.parse(readFileSync(path.join(hfModelDir(name), 'references.json'), 'utf8')) as HfReferences;
}

export function recipePooling(references: HfReferences): Pooling {
  return references.recipe === 'reasonir' || references.recipe === 'gritlm' ? 'mean_excluding_instruction' : 'last_token';
}

/** A LoadedModel for a checkpoint folder with the reference recipe's pooling and the given attention. */
export async function checkpointModel(name: HfModel, attention: 'bidirectional' | 'causal', maxLength = 32768): Promise<LoadedModel> {
  const dir = hfModelDir(name);
  const references = loadHfReferences(name);
  const config: ModelConfig = {
    name,
    pooling: recipePooling(references),
    normalize: true,
    similarity: 'cosine',
    scoreScale: 1,
    maxLength: { query: maxLength, document: maxLength },
    dtype: 'fp32',
    instructions: { short: {}, long: {} },
    build: { attention },
  };
  const weights = await checkpointWeightFiles(dir);
  return {
    config,
    files: { model: path.join(dir, 'config.json'), externalData: weights, tokenizer: path.join(dir, 'tokenizer.json'), tokenizerConfig: path.join(dir, 'tokenizer_config.json') },
    checkpoint: { config: path.join(dir, 'config.json'), weights },
    source: `dir:${dir}`,
    family: name,
  };
}

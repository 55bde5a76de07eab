import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedModel, ModelConfig, Pooling } from '../../../src/encode/model-config.js';
import { checkpointWeightFiles } from '../../../src/encode/graph/safetensors.js';
import { repoRoot } from '../../helpers/cli.js';

/**
 * The tiny Hugging Face checkpoints from the team's source material (models/hf), committed whole under test/fixtures/models/hf (small-llama-hd128's 7.3 MB
 * of bf16 weights included: its 2,522-token document is the only reference for long inputs and head_dim 128).
 */
export const HF_MODELS = ['tiny-reasonir', 'tiny-gritlm', 'tiny-e5-mistral', 'tiny-gte-qwen2', 'tiny-qwen3-embed', 'small-llama-hd128'] as const;
export type HfModel = (typeof HF_MODELS)[number];

export function hfModelDir(name: HfModel): string {
  return path.join(repoRoot, 'test', 'fixtures', 'models', 'hf', name);
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

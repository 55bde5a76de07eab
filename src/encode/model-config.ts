import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { environmentError, HarnessError, usageError } from '../core/errors.js';
import { packageRoot } from '../core/version.js';
import type { CheckpointFiles } from './graph/checkpoint.js';

export const POOLING_MODES = ['cls', 'mean', 'last_token', 'mean_excluding_instruction'] as const;
export type Pooling = (typeof POOLING_MODES)[number];
export type Similarity = 'cosine' | 'dot';
export type Role = 'query' | 'document';

/** task slug -> instruction template (`{task}` is replaced by the raw slug). */
type InstructionTable = Partial<Record<Role, Record<string, string>>>;

export interface HubRef {
  repo: string;
  revision: string;
}

/** One file of `configs/models/<name>.json`, or a local directory's `reasonir.json` merged over it. */
export interface ModelConfig {
  name: string;
  description?: string;
  /** The checkpoint the ONNX graph was exported from (provenance and cache key). */
  model?: HubRef;
  /**
   * Build the ONNX graph in-process from the checkpoint's config.json + safetensors (src/encode/graph/), with the
   * attention the official encode code runs. Takes precedence over `onnx`.
   */
  build?: {
    attention: 'bidirectional' | 'causal';
    /** A token the model's own (remote-code) tokenizer appends but tokenizer.json's template does not (gte-Qwen2). */
    appendEos?: string;
  };
  /** Where a published ONNX export lives; null: none is published, export one with tools/export-onnx.py. */
  onnx?: (HubRef & { file: string; externalData: string[] }) | null;
  tokenizer?: HubRef;
  pooling: Pooling;
  normalize: boolean;
  similarity: Similarity;
  /** Scores are multiplied by this in float32 (BRIGHT's e5/sf/qwen use 100 * q.d). */
  scoreScale: number;
  maxLength: Record<Role, number>;
  dtype: 'fp32' | 'fp16' | 'bf16';
  instructions: { short: InstructionTable; long: InstructionTable };
  provenance?: Record<string, string>;
  /**
   * sha256 of the files holding the published checkpoint's weights (model.onnx + external data, or the safetensors
   * shards), in order: a local folder extending this config is compared with its published rows only when it matches.
   */
  weightsSha256?: string[];
}

/** Files on local disk, ready for the tokenizer and onnxruntime. */
export interface ModelFiles {
  model: string;
  externalData: string[];
  tokenizer: string;
  tokenizerConfig: string;
}

export interface LoadedModel {
  config: ModelConfig;
  /** For a checkpoint model, `model` is its config.json and `externalData` its weight files. */
  files: ModelFiles;
  /** Present when the graph is built from a Hugging Face checkpoint instead of read from an ONNX file. */
  checkpoint?: CheckpointFiles;
  /** `config:<name>` or `dir:<absolute path>`, for messages and the manifest. */
  source: string;
  /**
   * The BRIGHT/ReasonIR model key whose published numbers this model should be compared with: the config's name,
   * the config a directory's reasonir.json extends, or else the directory's name.
   */
  family: string;
}

export function modelConfigDir(): string {
  return path.join(packageRoot, 'configs', 'models');
}

export async function listModelConfigs(): Promise<string[]> {
  const entries = await fs.readdir(modelConfigDir());
  return entries.filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5)).sort();
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw environmentError('model.bad_json', `model: cannot read ${file}: ${(error as Error).message}`, error);
  }
}

async function readNamedConfig(name: string): Promise<Record<string, unknown>> {
  const file = path.join(modelConfigDir(), `${name}.json`);
  if (!existsSync(file)) {
    const known = await listModelConfigs();
    throw usageError('unknown_model', `model: no config named "${name}" and no such directory; known configs: ${known.join(', ')}`);
  }
  return readJson(file);
}

function validate(raw: Record<string, unknown>, where: string): ModelConfig {
  const config = raw as unknown as ModelConfig;
  const problems: string[] = [];
  if (!POOLING_MODES.includes(config.pooling)) problems.push(`pooling must be one of ${POOLING_MODES.join(', ')}`);
  if (typeof config.normalize !== 'boolean') problems.push('normalize must be true or false');
  if (config.similarity !== 'cosine' && config.similarity !== 'dot') problems.push('similarity must be "cosine" or "dot"');
  if (!(config.maxLength?.query > 0 && config.maxLength?.document > 0)) problems.push('maxLength needs positive "query" and "document"');
  if (!['fp32', 'fp16', 'bf16'].includes(config.dtype)) problems.push('dtype must be fp32, fp16 or bf16');
  if (config.build !== undefined && config.build.attention !== 'bidirectional' && config.build.attention !== 'causal') problems.push('build.attention must be "bidirectional" or "causal"');
  if (config.build?.appendEos !== undefined && typeof config.build.appendEos !== 'string') problems.push('build.appendEos must be a token string');
  if (!(typeof config.scoreScale === 'number' && config.scoreScale > 0)) problems.push('scoreScale must be a positive number');
  if (problems.length > 0) throw usageError('bad_model_config', `model: ${where}: ${problems.join('; ')}`);
  return config;
}

const DIRECTORY_DEFAULTS = {
  normalize: true,
  similarity: 'cosine',
  scoreScale: 1,
  dtype: 'fp32',
  instructions: { short: {}, long: {} },
};

/**
 * A local directory holds `model.onnx` (+ `model.onnx_data`), `tokenizer.json`, `tokenizer_config.json` and
 * optionally `reasonir.json`: `{"extends": "<config name>", ...fields to override}` or a complete config.
 */
async function loadDirectory(dir: string): Promise<LoadedModel> {
  const overridePath = path.join(dir, 'reasonir.json');
  const override = existsSync(overridePath) ? await readJson(overridePath) : {};
  const base = typeof override.extends === 'string' ? await readNamedConfig(override.extends) : DIRECTORY_DEFAULTS;
  const merged: Record<string, unknown> = { ...base, name: path.basename(dir), ...override };
  delete merged.extends;
  if (merged.pooling === undefined || merged.maxLength === undefined) {
    throw usageError(
      'bad_model_config',
      `model: ${dir} has no reasonir.json naming its pooling and max lengths; write one such as {"extends": "reasonir"} or {"pooling": "mean", "maxLength": {"query": 512, "document": 512}}`,
    );
  }
  const config = validate(merged, overridePath);
  const tokenizer = path.join(dir, 'tokenizer.json');
  const tokenizerConfig = path.join(dir, 'tokenizer_config.json');
  let files: ModelFiles;
  let checkpoint: CheckpointFiles | undefined;
  if (!existsSync(path.join(dir, 'model.onnx')) && existsSync(path.join(dir, 'config.json'))) {
    if (!config.build) {
      throw usageError('bad_model_config', `model: ${dir} is a Hugging Face checkpoint, so its reasonir.json must say how to run it: {"build": {"attention": "bidirectional" | "causal"}} (or extend a config that does)`);
    }
    const { checkpointWeightFiles } = await import('./graph/safetensors.js');
    checkpoint = { config: path.join(dir, 'config.json'), weights: await checkpointWeightFiles(dir) };
    files = { model: checkpoint.config, externalData: checkpoint.weights, tokenizer, tokenizerConfig };
  } else {
    files = {
      model: path.join(dir, 'model.onnx'),
      externalData: existsSync(path.join(dir, 'model.onnx_data')) ? [path.join(dir, 'model.onnx_data')] : [],
      tokenizer,
      tokenizerConfig,
    };
  }
  for (const file of [files.model, files.tokenizer, files.tokenizerConfig]) {
    if (!existsSync(file)) {
      throw environmentError(
        'model.missing_file',
        `model: ${file} is missing; a model directory needs model.onnx (or config.json + *.safetensors), tokenizer.json and tokenizer_config.json`,
      );
    }
  }
  const family = typeof override.extends === 'string' ? override.extends : path.basename(path.resolve(dir));
  return { config, files, checkpoint, source: `dir:${path.resolve(dir)}`, family };
}

async function loadNamed(name: string, signal?: AbortSignal): Promise<LoadedModel> {
  const config = validate(await readNamedConfig(name), `configs/models/${name}.json`);
  if (config.build) return loadNamedCheckpoint(config, name, signal);
  const onnx = config.onnx;
  if (!onnx) {
    throw environmentError(
      'model.no_onnx_export',
      `model: no ONNX export of ${config.model?.repo ?? name} is published. Export one on a machine with the weights:\n` +
        `  python3 tools/export-onnx.py --model ${config.model?.repo ?? '<hf repo>'} --config ${name} --out models/${name}-onnx\n` +
        `then run with --model models/${name}-onnx (its reasonir.json extends this config).`,
    );
  }
  const tokenizerRef = config.tokenizer ?? onnx;
  // loaded lazily: local model directories never touch the hub module
  const { hubFile } = await import('../dataset/hub.js');
  const fetch = (ref: HubRef, file: string) =>
    hubFile({ repoType: 'model', repo: ref.repo, revision: ref.revision, path: file, signal, progressLabel: `${name} ${file}` });
  const files: ModelFiles = {
    model: await fetch(onnx, onnx.file),
    externalData: [],
    tokenizer: await fetch(tokenizerRef, 'tokenizer.json'),
    tokenizerConfig: await fetch(tokenizerRef, 'tokenizer_config.json'),
  };
  // ONNX external data is resolved relative to the graph file, so the data files must sit beside it
  for (const data of onnx.externalData) files.externalData.push(await fetch(onnx, path.posix.join(path.posix.dirname(onnx.file), data)));
  return { config, files, source: `config:${name}`, family: name };
}

/**
 * A checkpoint named by a config, through the HF cache: config.json, the shards of model.safetensors.index.json
 * (or model.safetensors), tokenizer files. The weights' sha256 come from the Hub's etags (the blob names), so the
 * embedding cache key never re-hashes gigabytes.
 */
async function loadNamedCheckpoint(config: ModelConfig, name: string, signal?: AbortSignal): Promise<LoadedModel> {
  if (!config.model) throw usageError('bad_model_config', `model: configs/models/${name}.json has "build" but no "model" (the checkpoint's repo and revision)`);
  const { hubFileInfo } = await import('../dataset/hub.js');
  const { shardsOfIndex } = await import('./graph/safetensors.js');
  const fetch = (ref: HubRef, file: string) =>
    hubFileInfo({ repoType: 'model', repo: ref.repo, revision: ref.revision, path: file, signal, progressLabel: `${name} ${file}` });
  const configInfo = await fetch(config.model, 'config.json');
  let shardNames: string[];
  try {
    const index = await fetch(config.model, 'model.safetensors.index.json');
    shardNames = shardsOfIndex(await fs.readFile(index.path, 'utf8'), index.path);
  } catch (error) {
    // a single-file checkpoint has no index (offline: not cached); model.safetensors then decides
    if (!(error instanceof HarnessError && (error.code === 'data.hub_not_found' || error.code === 'env.offline_miss'))) throw error;
    shardNames = ['model.safetensors'];
  }
  const shards = [];
  for (const shard of shardNames) shards.push(await fetch(config.model, shard));
  const tokenizerRef = config.tokenizer ?? config.model;
  const checkpoint: CheckpointFiles = { config: configInfo.path, weights: shards.map((s) => s.path), weightSha256: shards.map((s) => s.sha256) };
  const files: ModelFiles = {
    model: checkpoint.config,
    externalData: checkpoint.weights,
    tokenizer: (await fetch(tokenizerRef, 'tokenizer.json')).path,
    tokenizerConfig: (await fetch(tokenizerRef, 'tokenizer_config.json')).path,
  };
  return { config, files, checkpoint, source: `config:${name}`, family: name };
}

/** `--model` accepts a config name (configs/models/<name>.json) or a local model directory. */
export async function loadModel(nameOrDir: string, signal?: AbortSignal): Promise<LoadedModel> {
  const looksLikePath = nameOrDir.includes('/') || nameOrDir.includes(path.sep) || nameOrDir.startsWith('.');
  if (looksLikePath || (existsSync(nameOrDir) && (await fs.stat(nameOrDir)).isDirectory())) {
    if (!existsSync(nameOrDir)) {
      throw environmentError(
        'model.missing',
        `model: directory ${nameOrDir} does not exist; give a folder with model.onnx, tokenizer.json and tokenizer_config.json, or a config name from configs/models`,
      );
    }
    return loadDirectory(nameOrDir);
  }
  return loadNamed(nameOrDir, signal);
}

/** The exact instruction text for a task and role; '' when the model uses none for that role. */
export function instructionFor(config: ModelConfig, task: string, role: Role, long: boolean): string {
  const table = config.instructions[long ? 'long' : 'short'][role];
  if (!table || Object.keys(table).length === 0) return '';
  const template = table[task];
  if (template === undefined) {
    throw usageError(
      'no_instruction',
      `model: ${config.name} has no ${long ? 'long-document ' : ''}${role} instruction for task ${task} (it has: ${Object.keys(table).join(', ')})`,
    );
  }
  return template.replaceAll('{task}', task);
}

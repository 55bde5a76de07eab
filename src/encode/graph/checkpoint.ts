import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError } from '../../core/errors.js';
import { parseArchitecture, type Architecture } from './architecture.js';
import { readCheckpointTensors, type StoredTensor } from './safetensors.js';

/** A Hugging Face checkpoint on local disk: a local folder, or a snapshot folder of the HF cache. */
export interface CheckpointFiles {
  /** config.json */
  config: string;
  /** The .safetensors files (one, or the shards model.safetensors.index.json names). */
  weights: string[];
  /**
   * sha256 of each weight file when known without reading it (the Hub's etag for LFS files, which is the blob
   * name in the cache); absent for local folders, which are hashed once and remembered by (path, size, mtime).
   */
  weightSha256?: string[];
}

export interface PreparedCheckpoint {
  arch: Architecture;
  tensors: Map<string, StoredTensor>;
  /** The folder onnxruntime resolves external data against (`session.model_external_initializers_file_folder_path`). */
  externalDataFolder: string;
  /** A weight file's location relative to that folder, with symlinks resolved. */
  locate: (file: string) => string;
}

/**
 * Reads config.json and every shard's header (sizes checked against the headers), and works out how onnxruntime
 * will reach the bytes: it refuses absolute locations, `..` and symlinks leaving the model folder, and HF snapshot
 * files are symlinks into `../../blobs`. So locations are taken relative to the deepest folder holding every
 * weight file's real path (the cache's `blobs/`, or the local folder), and the graph is loaded from memory with
 * that folder as its external data folder: nothing is written next to the weights.
 */
export async function prepareCheckpoint(files: CheckpointFiles): Promise<PreparedCheckpoint> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await fs.readFile(files.config, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw dataError('checkpoint.bad_config', `checkpoint: cannot read ${files.config}: ${(error as Error).message}`, error);
  }
  const arch = parseArchitecture(raw, files.config);
  const tensors = await readCheckpointTensors(files.weights);
  const realPaths = new Map<string, string>();
  for (const file of files.weights) realPaths.set(file, await fs.realpath(file));
  const folder = commonFolder([...realPaths.values()]);
  return {
    arch,
    tensors,
    externalDataFolder: folder,
    locate: (file) => {
      const real = realPaths.get(file);
      if (real === undefined) throw new Error(`locate: ${file} is not a weight file of this checkpoint`);
      return path.relative(folder, real).split(path.sep).join('/');
    },
  };
}

function commonFolder(files: string[]): string {
  let folder = path.dirname(files[0]!);
  while (!files.every((file) => file.startsWith(folder + path.sep))) folder = path.dirname(folder);
  return folder;
}

/** Estimates for running a checkpoint on the CPU in float32, for the refusal message. */
export function cpuCostEstimate(parameters: number): { gigabytes: number; secondsPer1kTokens: number } {
  // float32 weights (cast copies) plus the mapped originals; ~2 FLOPs per parameter per token at ~50 GFLOP/s
  return { gigabytes: (parameters * 6) / 1e9, secondsPer1kTokens: (parameters * 2 * 1000) / 50e9 };
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { sha256File, sha256Hex } from '../core/hash.js';
import { GRAPH_BUILDER_VERSION } from './graph/decoder-graph.js';
import type { LoadedModel } from './model-config.js';

/**
 * sha256 of a file, remembered under <cacheRoot>/file-hashes/ by (path, size, mtime): an 8B model's 16 GB of
 * weights is hashed once, not on every run.
 */
async function rememberedSha256(file: string, cacheRoot: string): Promise<string> {
  const stat = await fs.stat(file);
  const memo = path.join(cacheRoot, 'file-hashes', `${sha256Hex(`${path.resolve(file)}\n${stat.size}\n${stat.mtimeMs}`)}.txt`);
  const known = await fs.readFile(memo, 'utf8').catch(() => undefined);
  if (known && /^[0-9a-f]{64}$/.test(known.trim())) return known.trim();
  const digest = await sha256File(file);
  await writeFileAtomic(memo, `${digest}\n`);
  return digest;
}

/**
 * Content hashes of everything that decides the vectors: graph (or, for a checkpoint, config.json, the weights and
 * the graph builder's version), external weights, tokenizer.
 */
export async function modelFingerprint(model: LoadedModel, cacheRoot: string): Promise<Record<string, string | string[]>> {
  const { files, checkpoint } = model;
  if (checkpoint) {
    return {
      graphBuilder: String(GRAPH_BUILDER_VERSION),
      attention: model.config.build?.attention ?? '',
      configSha256: await sha256File(checkpoint.config),
      weightsSha256: checkpoint.weightSha256 ?? (await Promise.all(checkpoint.weights.map((file) => rememberedSha256(file, cacheRoot)))),
      tokenizerSha256: await rememberedSha256(files.tokenizer, cacheRoot),
      tokenizerConfigSha256: await rememberedSha256(files.tokenizerConfig, cacheRoot),
    };
  }
  return {
    onnxSha256: await rememberedSha256(files.model, cacheRoot),
    externalDataSha256: await Promise.all(files.externalData.map((file) => rememberedSha256(file, cacheRoot))),
    tokenizerSha256: await rememberedSha256(files.tokenizer, cacheRoot),
    tokenizerConfigSha256: await rememberedSha256(files.tokenizerConfig, cacheRoot),
  };
}

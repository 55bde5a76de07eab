import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { sha256File, sha256Hex } from '../core/hash.js';
import type { ModelFiles } from './model-config.js';

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

/** Content hashes of everything that decides the vectors: graph, external weights, tokenizer. */
export async function modelFingerprint(files: ModelFiles, cacheRoot: string): Promise<Record<string, string | string[]>> {
  return {
    onnxSha256: await rememberedSha256(files.model, cacheRoot),
    externalDataSha256: await Promise.all(files.externalData.map((file) => rememberedSha256(file, cacheRoot))),
    tokenizerSha256: await rememberedSha256(files.tokenizer, cacheRoot),
    tokenizerConfigSha256: await rememberedSha256(files.tokenizerConfig, cacheRoot),
  };
}

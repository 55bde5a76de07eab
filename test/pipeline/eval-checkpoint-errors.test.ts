import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLlamaCheckpoint } from '../../tools/llama-checkpoint.mjs';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { hfModelDir, type HfModel } from '../encode/graph/hf-fixtures.js';

/**
 * Broken checkpoints: each run exits 3 naming the file or config field, before anything is encoded, and leaves no
 * embedding in the cache that a later run could trust.
 */
const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
let work: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-checkpoint-errors-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** A writable copy of a fixture checkpoint with a reasonir.json, to be broken by `edit`. */
async function brokenCopy(name: HfModel, label: string, extendsConfig: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(work, label);
  await fs.cp(hfModelDir(name), dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'reasonir.json'), JSON.stringify({ extends: extendsConfig }));
  await edit(dir);
  return dir;
}

async function expectRefused(dir: string, mentions: string[], extra: string[] = []) {
  const cache = path.join(work, `cache-${path.basename(dir)}`);
  const result = await runReasonir(['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', dir, '--device', 'cpu', '--data-dir', fixtureData, '--out', path.join(work, `out-${path.basename(dir)}`), ...extra], {
    env: { REASONIR_CACHE: cache },
  });
  expect(result.stderr).not.toContain('internal error');
  expect(result.code, result.stderr).toBe(3);
  for (const text of mentions) expect(result.stderr).toContain(text);
  const embeddings = path.join(cache, 'embeddings');
  expect(existsSync(embeddings) ? await fs.readdir(embeddings, { recursive: true }) : []).toEqual([]);
  expect(existsSync(path.join(work, `out-${path.basename(dir)}`, 'leetcode', 'run.trec'))).toBe(false);
  return result.stderr;
}

const editJson = async (file: string, change: (value: Record<string, unknown>) => void) => {
  const value = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  change(value);
  await fs.writeFile(file, JSON.stringify(value));
};

describe('broken checkpoints are refused with exit 3, naming the file or field', () => {
  it('a shard missing from the folder', async () => {
    const dir = await brokenCopy('tiny-gte-qwen2', 'missing-shard', 'qwen2', (d) => fs.rm(path.join(d, 'model-00002-of-00002.safetensors')));
    await expectRefused(dir, ['model-00002-of-00002.safetensors']);
  });

  it('an index.json naming a file that is not there', async () => {
    const dir = await brokenCopy('tiny-reasonir', 'index-names-missing', 'reasonir', (d) =>
      editJson(path.join(d, 'model.safetensors.index.json'), (index) => {
        (index.weight_map as Record<string, string>)['model.norm.weight'] = 'model-00003-of-00003.safetensors';
      }),
    );
    await expectRefused(dir, ['model-00003-of-00003.safetensors']);
  });

  it('a shard whose size does not match its header (truncated download)', async () => {
    const dir = await brokenCopy('tiny-e5-mistral', 'truncated', 'e5', async (d) => {
      const file = path.join(d, 'model.safetensors');
      await fs.truncate(file, (await fs.stat(file)).size - 100);
    });
    await expectRefused(dir, ['model.safetensors', 'the header describes']);
  });

  it('a tensor whose shape contradicts config.json', async () => {
    const dir = await brokenCopy('tiny-e5-mistral', 'shape', 'e5', (d) => editJson(path.join(d, 'config.json'), (config) => void (config.intermediate_size = 96)));
    await expectRefused(dir, ['mlp.gate_proj.weight', 'config.json']);
  });

  it('a tokenizer whose ids exceed the embedding rows', async () => {
    const dir = await brokenCopy('tiny-gritlm', 'foreign-tokenizer', 'grit', async (d) => {
      for (const file of ['tokenizer.json', 'tokenizer_config.json']) await fs.copyFile(path.join(hfModelDir('tiny-reasonir'), file), path.join(d, file));
    });
    await expectRefused(dir, ['tokenizer.json', 'vocab_size is 1024']);
  });

  it('an unsupported rope type', async () => {
    const dir = await brokenCopy('tiny-reasonir', 'yarn', 'reasonir', (d) =>
      editJson(path.join(d, 'config.json'), (config) => void (config.rope_scaling = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 8192 })),
    );
    await expectRefused(dir, ['rope_scaling', '"yarn"']);
  });

  it('an unknown architecture', async () => {
    const dir = await brokenCopy('tiny-reasonir', 'gemma', 'reasonir', (d) => editJson(path.join(d, 'config.json'), (config) => void (config.model_type = 'gemma2')));
    await expectRefused(dir, ['model_type', 'gemma2', 'tools/export-onnx.py']);
  });

  it('--device cpu with an 8B checkpoint says what it would cost and asks for --force', async () => {
    const dir = path.join(work, 'llama-8b');
    await fs.mkdir(dir);
    // 16 GB of sparse zeros: the headers are real, the bytes are never read
    writeLlamaCheckpoint({ dir, fill: 'sparse', shards: 4 });
    for (const file of ['tokenizer.json', 'tokenizer_config.json']) await fs.copyFile(path.join(hfModelDir('tiny-reasonir'), file), path.join(dir, file));
    await fs.writeFile(path.join(dir, 'reasonir.json'), JSON.stringify({ extends: 'reasonir' }));
    const stderr = await expectRefused(dir, ['7.5B encoder parameters', 'GB of memory', '--force', '--device cuda']);
    expect(stderr).toMatch(/\d+ GB of memory/);
  });
});

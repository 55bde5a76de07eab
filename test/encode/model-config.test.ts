import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runContext, withRunContext } from '../../src/core/run-context.js';
import { describe, expect, it, vi } from 'vitest';
import { instructionFor, listModelConfigs, loadModel } from '../../src/encode/model-config.js';
import { DenseEncoder } from '../../src/encode/encoder.js';
import { parseDevice } from '../../src/encode/ort-backend.js';
import { createDenseRetriever } from '../../src/retrieval/create-dense.js';
import { fixtureModelDir } from './helpers.js';
import { repoRoot } from '../helpers/cli.js';

const TASKS = ['biology', 'earth_science', 'economics', 'psychology', 'robotics', 'stackoverflow', 'sustainable_living', 'leetcode', 'pony', 'aops', 'theoremqa_theorems', 'theoremqa_questions'];
const LONG_TASKS = ['biology', 'earth_science', 'economics', 'psychology', 'robotics', 'stackoverflow', 'sustainable_living', 'pony'];

describe('configs/models', () => {
  it('has one valid config per model of the BRIGHT and ReasonIR tables', async () => {
    expect(await listModelConfigs()).toEqual(['bge', 'e5', 'grit', 'inst-l', 'inst-xl', 'qwen', 'qwen2', 'qwen3-embedding', 'reason-embed-qwen3-4b-0928', 'reason-embed-qwen3-8b', 'reasonir', 'sbert', 'sfr']);
  });

  it('gives the exact SPEC §1.8 / §4.3 instruction strings with {task} = raw slug', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-config-'));
    const configOf = async (name: string) => {
      await fs.copyFile(path.join(fixtureModelDir('tiny-bert'), 'model.onnx'), path.join(dir, 'model.onnx')).catch(() => undefined);
      for (const file of ['tokenizer.json', 'tokenizer_config.json']) await fs.copyFile(path.join(fixtureModelDir('tiny-bert'), file), path.join(dir, file));
      await fs.writeFile(path.join(dir, 'reasonir.json'), JSON.stringify({ extends: name }));
      return (await loadModel(dir)).config;
    };
    const e5 = await configOf('e5');
    expect(instructionFor(e5, 'earth_science', 'query', false)).toBe('Instruct: Given a earth_science post, retrieve relevant passages that help answer the post\nQuery: ');
    expect(instructionFor(e5, 'pony', 'query', true)).toBe('Instruct: Given a pony question, retrieve relevant documents that help answer the question\nQuery: ');
    expect(instructionFor(e5, 'theoremqa_theorems', 'query', false)).toBe('Instruct: Given a Math problem, retrieve relevant theorems that help answer the problem\nQuery: ');
    expect(instructionFor(e5, 'biology', 'document', false)).toBe('');
    const reasonir = await configOf('reasonir');
    expect(instructionFor(reasonir, 'biology', 'query', false)).toBe('<|user|>\nGiven a biology post, retrieve relevant passages that help answer the post\n<|embed|>\n');
    expect(instructionFor(reasonir, 'leetcode', 'query', false)).toBe('<|user|>\nGiven a coding problem, retrieve relevant examples that help answer the problem\n<|embed|>\n');
    expect(instructionFor(reasonir, 'aops', 'document', false)).toBe('<|embed|>\n');
    expect(reasonir.maxLength).toEqual({ query: 32768, document: 32768 });
    expect(reasonir.pooling).toBe('mean_excluding_instruction');
    const grit = await configOf('grit');
    expect(grit.maxLength).toEqual({ query: 256, document: 2048 });
    expect(grit.instructions).toEqual(reasonir.instructions);
    const bge = await configOf('bge');
    expect(instructionFor(bge, 'stackoverflow', 'query', true)).toBe('Represent this stackoverflow post for searching relevant documents: ');
    expect(instructionFor(bge, 'pony', 'query', false)).toBe('Represent this Pony question for searching relevant passages: ');
    const inst = await configOf('inst-l');
    expect(instructionFor(inst, 'robotics', 'document', true)).toBe('Represent the robotics document for retrieval: ');
    expect(instructionFor(inst, 'aops', 'document', false)).toBe('Represent the Math example for retrieval: ');
    for (const name of ['e5', 'sfr', 'qwen', 'qwen2', 'grit', 'reasonir', 'bge', 'inst-l', 'inst-xl']) {
      const config = await configOf(name);
      for (const task of TASKS) expect(instructionFor(config, task, 'query', false)).not.toBe('');
      for (const task of LONG_TASKS) expect(instructionFor(config, task, 'query', true)).not.toBe('');
      expect(() => instructionFor(config, 'leetcode', 'query', true)).toThrow(/no long-document query instruction/);
    }
    const sbert = await configOf('sbert');
    expect(instructionFor(sbert, 'biology', 'query', false)).toBe('');
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a checkpoint config (graph built in-process) is read from the Hub cache: offline and uncached, it names the file (exit 3)', async () => {
    const hub = mkdtempSync(path.join(os.tmpdir(), 'reasonir-hub-'));
    const env = { ...process.env, HF_HUB_OFFLINE: '1', HF_HUB_CACHE: hub };
    const loading = withRunContext({ ...runContext(), env }, () => loadModel('reasonir'));
    await expect(loading).rejects.toMatchObject({ exitCode: 3, code: 'env.offline_miss', message: expect.stringContaining('config.json') });
    await fs.rm(hub, { recursive: true, force: true });
  });

  it('unknown names and incomplete directories are usage errors naming the fix', async () => {
    await expect(loadModel('no-such-model')).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('known configs: bge') });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-config-'));
    await expect(loadModel(dir)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('reasonir.json') });
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe('--device', () => {
  it('parses auto, cpu, cuda and cuda:N; rejects anything else', () => {
    expect(parseDevice('auto')).toEqual({ kind: 'auto', deviceId: 0 });
    expect(parseDevice('cuda:3')).toEqual({ kind: 'cuda', deviceId: 3 });
    expect(() => parseDevice('gpu')).toThrow(/auto, cpu, cuda, cuda:N/);
  });

  it('explicit cuda without the CUDA provider is exit 3 with install instructions', async () => {
    const model = await loadModel(fixtureModelDir('tiny-bert'));
    await expect(DenseEncoder.open(model, parseDevice('cuda'))).rejects.toMatchObject({
      exitCode: 3,
      code: 'env.device.unavailable',
      message: expect.stringContaining('ONNXRUNTIME_NODE_INSTALL=cuda12'),
    });
  });

  it('keeps CUDA float32 matmuls in full precision (TF32 off, as in PyTorch) unless the user chose otherwise', () => {
    const backend = path.join(repoRoot, 'dist', 'encode', 'ort-backend.js');
    const probe = `await import(${JSON.stringify(backend)}); process.stdout.write(String(process.env.NVIDIA_TF32_OVERRIDE))`;
    const run = (value: string | undefined) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env: { ...process.env, NVIDIA_TF32_OVERRIDE: value } }).toString();
    expect(run(undefined)).toBe('0');
    expect(run('1')).toBe('1');
  });

  it('auto falls back to the CPU with exactly one warning', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const first = await createDenseRetriever({ model: fixtureModelDir('tiny-bert'), device: 'auto' });
      await createDenseRetriever({ model: fixtureModelDir('tiny-bert'), device: 'auto' });
      expect(first.parameters.device).toBe('cpu');
    } finally {
      spy.mockRestore();
    }
    expect(writes.filter((line) => line.includes('CUDA unavailable')).length).toBe(1);
  });
});

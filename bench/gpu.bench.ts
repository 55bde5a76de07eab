/**
 * `npm run bench -- gpu`: the graph builder on one CUDA GPU (sized for 10 minutes on an H100; needs the CUDA
 * provider: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js).
 *  1. every tiny checkpoint on CUDA (its stored dtype, bf16 for most) against the CPU float32 graph: max |diff| of
 *     normalised embeddings, against the bf16 runtime tolerance of models/hf/README.md (2e-2; fp32 models 1e-4);
 *  2. an 8B-shaped random-weight Llama-3.1 checkpoint written here (bf16, 4 shards, ReasonIR-8B's config numbers):
 *     session creation time, host peak RSS, GPU memory, tokens/s for 512-token documents at token budgets
 *     16k/64k/128k (targets: >= 20,000 tokens/s), and one 32,768-token document (target: no out-of-memory);
 *  3. which attention kernel onnxruntime ran (its verbose log, from a child process encoding one 4k document).
 * Without a CUDA provider it prints one row saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HarnessError } from '../src/core/errors.js';
import { planBatches } from '../src/encode/batching.js';
import { DenseEncoder } from '../src/encode/encoder.js';
import { loadModel } from '../src/encode/model-config.js';
import type { writeLlamaCheckpoint as WriteLlamaCheckpoint } from '../tools/llama-checkpoint.mjs';
import { peakRssMb, type BenchRow } from './table.js';

const repoRoot = process.cwd();
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'models', 'hf');
const TINY: [string, string, 'bf16' | 'fp32'][] = [
  ['tiny-reasonir', 'reasonir', 'bf16'],
  ['tiny-gritlm', 'grit', 'bf16'],
  ['tiny-e5-mistral', 'e5', 'fp32'],
  ['tiny-gte-qwen2', 'qwen2', 'fp32'],
  ['small-llama-hd128', 'reasonir', 'bf16'],
];
const cuda = { kind: 'cuda' as const, deviceId: 0 };
const cpu = { kind: 'cpu' as const, deviceId: 0 };

function gpuMemoryMb(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=memory.used,memory.total', '--format=csv,noheader,nounits'], { encoding: 'utf8' }).trim().split('\n')[0]!.replace(', ', ' / ');
  } catch {
    return 'n/a (nvidia-smi failed)';
  }
}

/** A checkpoint folder usable as --model: the files linked, with a reasonir.json extending `config`. */
function modelFolder(source: string, config: string): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'reasonir-gpu-')), path.basename(source));
  process.once('exit', () => rmSync(path.dirname(dir), { recursive: true, force: true }));
  mkdirSync(dir);
  for (const file of readdirSync(source)) symlinkSync(path.join(source, file), path.join(dir, file));
  writeFileSync(path.join(dir, 'reasonir.json'), JSON.stringify({ extends: config }));
  return dir;
}

function words(count: number, seed: number): string {
  const vocabulary = 'the cell membrane regulates transport of ions while mitochondria produce energy for the organism under stress proteins fold into shapes determined by sequence'.split(' ');
  return Array.from({ length: count }, (_, j) => vocabulary[(seed * 31 + j * 7 + ((j * j) % 13)) % vocabulary.length]).join(' ');
}

async function tinyRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const texts = Array.from({ length: 24 }, (_, i) => words(40 + i * 17, i));
  for (const [name, config, dtype] of TINY) {
    const model = await loadModel(modelFolder(path.join(fixtures, name), config));
    const results = [];
    for (const device of [cpu, cuda]) {
      const encoder = await DenseEncoder.open(model, device);
      results.push({ dtype: encoder.dtype, ...(await encoder.encode(texts, { instruction: '', role: 'document', maxLength: 1024 })) });
      await encoder.close();
    }
    const [onCpu, onCuda] = results as [(typeof results)[0], (typeof results)[0]];
    let worst = 0;
    for (let i = 0; i < onCpu.vectors.length; i++) worst = Math.max(worst, Math.abs(onCpu.vectors[i]! - onCuda.vectors[i]!));
    const limit = dtype === 'bf16' ? 2e-2 : 1e-4;
    rows.push({ bench: 'gpu', metric: `${name}: CUDA (${onCuda.dtype}) vs CPU fp32, max |diff| of embeddings`, value: worst.toExponential(2), target: `<= ${limit}`, ok: worst <= limit });
  }
  return rows;
}

async function llama8bRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = path.join(os.tmpdir(), 'reasonir-gpu-bench-8b');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // tools/*.mjs are not compiled into dist-bench: loaded from the source tree
  const { writeLlamaCheckpoint } = (await import(pathToFileURL(path.join(repoRoot, 'tools', 'llama-checkpoint.mjs')).href)) as { writeLlamaCheckpoint: typeof WriteLlamaCheckpoint };
  let t0 = performance.now();
  writeLlamaCheckpoint({ dir, shards: 4, fill: 'random' });
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(fixtures, 'tiny-reasonir', file), path.join(dir, file));
  writeFileSync(path.join(dir, 'reasonir.json'), JSON.stringify({ extends: 'reasonir' }));
  rows.push({ bench: 'gpu', metric: '8B checkpoint written (bf16, 4 shards)', value: `${((performance.now() - t0) / 1000).toFixed(1)} s` });

  t0 = performance.now();
  const encoder = await DenseEncoder.open(await loadModel(dir), cuda);
  rows.push({ bench: 'gpu', metric: '8B session creation (build + load to GPU)', value: `${((performance.now() - t0) / 1000).toFixed(1)} s`, target: 'compute dtype bf16', ok: encoder.dtype === 'bf16' });
  rows.push({ bench: 'gpu', metric: '8B host peak RSS after loading', value: `${peakRssMb().toFixed(0)} MB`, target: '< 16 GB (no second host copy of the weights)', ok: peakRssMb() < 16_000 });
  rows.push({ bench: 'gpu', metric: '8B GPU memory used / total after loading (MiB)', value: gpuMemoryMb() });

  const docs = Array.from({ length: 512 }, (_, i) => words(900, i));
  for (const budget of [16_384, 65_536, 131_072]) {
    const lengths = docs.map(() => 512);
    const batches = planBatches(lengths, budget, 512);
    let tokens = 0;
    try {
      await encoder.encode(docs.slice(0, 8), { instruction: '<|embed|>\n', role: 'document', maxLength: 512 });
      t0 = performance.now();
      await encoder.encode(docs, { instruction: '<|embed|>\n', role: 'document', maxLength: 512, batches, onBatch: (_, n) => (tokens += n) });
      const rate = tokens / ((performance.now() - t0) / 1000);
      rows.push({ bench: 'gpu', metric: `8B tokens/s, 512-token documents, budget ${budget / 1024}k`, value: rate.toFixed(0), target: '>= 20000', ok: rate >= 20_000 });
    } catch (error) {
      rows.push({ bench: 'gpu', metric: `8B tokens/s, 512-token documents, budget ${budget / 1024}k`, value: `failed: ${(error as Error).message.slice(0, 120)}`, target: '>= 20000', ok: false });
    }
  }
  rows.push({ bench: 'gpu', metric: '8B GPU memory used / total after the 512-token runs (MiB)', value: gpuMemoryMb() });
  try {
    t0 = performance.now();
    const result = await encoder.encode([words(60_000, 7)], { instruction: '<|embed|>\n', role: 'document', maxLength: 32_768 });
    const ok = result.emptyRows.length === 0 && Number.isFinite(result.vectors[0]);
    rows.push({ bench: 'gpu', metric: '8B one 32,768-token document', value: `${((performance.now() - t0) / 1000).toFixed(1)} s, GPU ${gpuMemoryMb()} MiB`, target: 'no out-of-memory', ok });
  } catch (error) {
    rows.push({ bench: 'gpu', metric: '8B one 32,768-token document', value: `failed: ${(error as Error).message.slice(0, 160)}`, target: 'no out-of-memory', ok: false });
  }
  await encoder.close();
  return rows;
}

/** The verbose onnxruntime log of a child encoding one 4k document, filtered to attention kernel lines. */
function kernelRows(): BenchRow[] {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--kernel-probe'], {
    encoding: 'utf8',
    env: { ...process.env, REASONIR_ORT_LOG_LEVEL: '0' },
    maxBuffer: 1 << 30,
    timeout: 240_000,
  });
  const lines = `${child.stdout}\n${child.stderr}`.split('\n').filter((line) => /flash|memory.?efficient|cudnn.*attention|attention.*(kernel|impl)|unfused/i.test(line));
  const unique = [...new Set(lines.map((line) => line.replace(/^.*?\] /, '').trim()))].slice(0, 4);
  if (unique.length === 0) return [{ bench: 'gpu', metric: 'attention kernel (verbose log)', value: `no kernel line found (child exit ${child.status})` }];
  return unique.map((line) => ({ bench: 'gpu', metric: 'attention kernel (verbose log)', value: line.slice(0, 160) }));
}

if (process.argv.includes('--kernel-probe')) {
  const encoder = await DenseEncoder.open(await loadModel(path.join(os.tmpdir(), 'reasonir-gpu-bench-8b')), cuda);
  await encoder.encode([words(8000, 3)], { instruction: '<|embed|>\n', role: 'document', maxLength: 4096 });
  await encoder.close();
}

export async function run(): Promise<BenchRow[]> {
  try {
    const probe = await DenseEncoder.open(await loadModel(modelFolder(path.join(fixtures, 'tiny-reasonir'), 'reasonir')), cuda);
    await probe.close();
  } catch (error) {
    if (error instanceof HarnessError && error.code === 'env.device.unavailable') {
      return [{ bench: 'gpu', metric: 'CUDA', value: 'not available here: nothing measured', target: 'run on a GPU machine' }];
    }
    throw error;
  }
  const rows = await tinyRows();
  rows.push(...(await llama8bRows()));
  rows.push(...kernelRows());
  if (existsSync(path.join(os.tmpdir(), 'reasonir-gpu-bench-8b'))) rmSync(path.join(os.tmpdir(), 'reasonir-gpu-bench-8b'), { recursive: true, force: true });
  return rows;
}

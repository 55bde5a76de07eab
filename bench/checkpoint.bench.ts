/**
 * CPU throughput of graphs built from the tiny Hugging Face checkpoints (test/fixtures/models/hf): tokens/s end to
 * end (tokenize, batch, run, pool, normalise) on 96 documents of ~200 tokens, plus session creation time.
 * The comparison with each model's own ONNX export cannot be made here: exporting needs torch and
 * transformers (tools/export-onnx.py), which this machine does not have; the rows report the builder alone.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DenseEncoder } from '../src/encode/encoder.js';
import { loadModel } from '../src/encode/model-config.js';
import type { BenchRow } from './table.js';

const MODELS: [string, string][] = [
  ['tiny-reasonir', 'reasonir'],
  ['tiny-gritlm', 'grit'],
  ['tiny-e5-mistral', 'e5'],
  ['tiny-gte-qwen2', 'qwen2'],
  ['small-llama-hd128', 'reasonir'],
];

export async function run(): Promise<BenchRow[]> {
  const words = 'the cell membrane regulates transport of ions while mitochondria produce energy for the organism under stress'.split(' ');
  const texts = Array.from({ length: 96 }, (_, i) => Array.from({ length: 120 + ((i * 37) % 160) }, (_, j) => words[(i + j * 7) % words.length]).join(' '));
  const rows: BenchRow[] = [];
  for (const [name, config] of MODELS) {
    const fixture = path.join(process.cwd(), 'test', 'fixtures', 'models', 'hf', name);
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'reasonir-bench-ckpt-')), name);
    process.once('exit', () => rmSync(path.dirname(dir), { recursive: true, force: true }));
    mkdirSync(dir);
    for (const file of readdirSync(fixture)) symlinkSync(path.join(fixture, file), path.join(dir, file));
    writeFileSync(path.join(dir, 'reasonir.json'), JSON.stringify({ extends: config }));
    const started = performance.now();
    const encoder = await DenseEncoder.open(await loadModel(dir), { kind: 'cpu', deviceId: 0 }, 8192);
    const opened = performance.now() - started;
    await encoder.encode(texts.slice(0, 8), { instruction: '', role: 'document', maxLength: 512 });
    let tokens = 0;
    const t0 = performance.now();
    await encoder.encode(texts, { instruction: '', role: 'document', maxLength: 512, onBatch: (_, n) => (tokens += n) });
    const seconds = (performance.now() - t0) / 1000;
    await encoder.close();
    rows.push({ bench: 'checkpoint-cpu', metric: `${name} session creation (build + load)`, value: `${opened.toFixed(0)} ms` });
    rows.push({ bench: 'checkpoint-cpu', metric: `${name} tokens/s (fp32, built graph)`, value: (tokens / seconds).toFixed(0), target: '>= its ONNX export (not measurable here: no torch)' });
  }
  return rows;
}

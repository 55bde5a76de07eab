/**
 * Encoding throughput with a BERT-base-sized random-weight model (../shared/tools/make-onnx-encoder.py):
 * documents/s end to end (tokenize, sort, pad, run, pool, normalise) vs a bare onnxruntime session fed the
 * identical padded batches, and a cache-hit rerun of the dense retriever vs its cold run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { BenchRow } from './table.js';
import { planBatches } from '../src/encode/batching.js';
import { DenseEncoder } from '../src/encode/encoder.js';
import { loadModel } from '../src/encode/model-config.js';
import { createDenseRetriever } from '../src/retrieval/create-dense.js';
import { retrieve } from '../src/pipeline/retrieve.js';

const DOCS = 48;
const BATCH_TOKENS = 4096;
const repoRoot = process.cwd();
export const benchModelDir = path.join(repoRoot, '.bench-tmp', 'bert-base-random');

/** Generates the model once (needs Debian's python3-torch, python3-onnx, python3-numpy, python3-regex). */
export function ensureBertBase(): string | undefined {
  if (existsSync(path.join(benchModelDir, 'model.onnx'))) return benchModelDir;
  const shared = path.resolve(repoRoot, '..', 'shared');
  const args = [
    path.join(shared, 'tools', 'make-onnx-encoder.py'),
    ...'--arch bert --layers 12 --hidden 768 --heads 12 --intermediate 3072 --seed 0'.split(' '),
    '--vocab-from', path.join(shared, 'models', 'tiny-bert', 'tokenizer.json'),
    '--out', benchModelDir,
  ];
  const result = spawnSync('/usr/bin/python3', args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(
      'encode bench: could not generate the BERT-base model. Install the generator\'s packages and rerun:\n' +
        '  apt-get update && apt-get install -y python3-torch python3-onnx python3-numpy python3-regex\n' +
        `  /usr/bin/python3 ${args.join(' ')}\n`,
    );
    return undefined;
  }
  writeFileSync(path.join(benchModelDir, 'reasonir.json'), JSON.stringify({ pooling: 'mean', maxLength: { query: 256, document: 256 } }, null, 2));
  return benchModelDir;
}

function documents(): { ids: string[]; texts: string[] } {
  const words = 'the cell membrane regulates transport of ions while mitochondria produce energy for the organism under stress'.split(' ');
  const texts = Array.from({ length: DOCS }, (_, i) => Array.from({ length: 20 + ((i * 53) % 180) }, (_, j) => words[(i + j * 7) % words.length]).join(' '));
  return { ids: texts.map((_, i) => `d${i}`), texts };
}

export async function run(): Promise<BenchRow[]> {
  const dir = ensureBertBase();
  if (!dir) return [{ bench: 'encode', metric: 'skipped', value: 'BERT-base model missing (see stderr)' }];
  const corpus = documents();
  const model = await loadModel(dir);
  const encoder = await DenseEncoder.open(model, { kind: 'cpu', deviceId: 0 }, BATCH_TOKENS);
  const options = { instruction: '', role: 'document' as const };
  // bare onnxruntime: the same padded batches, tokenized beforehand, no pooling
  const ids = corpus.texts.map((text) => encoder.tokenizer.encode(text, 256));
  const batches = planBatches(ids.map((row) => row.length), BATCH_TOKENS, 512);
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: os.availableParallelism(),
    interOpNumThreads: 1,
  });
  const feedsFor = (batch: number[]) => {
    const sequence = Math.max(...batch.map((i) => ids[i]!.length));
    const inputIds = new BigInt64Array(batch.length * sequence);
    const mask = new BigInt64Array(batch.length * sequence);
    batch.forEach((index, r) => ids[index]!.forEach((id, t) => ((inputIds[r * sequence + t] = BigInt(id)), (mask[r * sequence + t] = 1n))));
    const dims = [batch.length, sequence];
    return {
      input_ids: new ort.Tensor('int64', inputIds, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(inputIds.length), dims),
    };
  };
  const prepared = batches.map(feedsFor);
  // warm both sessions on the real batch shapes, then alternate timed passes so machine noise hits both alike
  await encoder.encode(corpus.texts, options);
  for (const feeds of prepared) await session.run(feeds);
  let ours = Infinity;
  let bare = Infinity;
  let tokens = 0;
  for (let pass = 0; pass < 3; pass++) {
    tokens = 0;
    let started = performance.now();
    await encoder.encode(corpus.texts, { ...options, onBatch: (_rows, batchTokens) => (tokens += batchTokens) });
    ours = Math.min(ours, (performance.now() - started) / 1000);
    started = performance.now();
    for (const feeds of prepared) await session.run(feeds);
    bare = Math.min(bare, (performance.now() - started) / 1000);
  }
  await encoder.close();
  await session.release();
  const overhead = ours / bare - 1;

  // cache: cold (encode + search) vs hit (read + search) through the dense retriever
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bench-cache-'));
  const queries = corpus.texts.slice(0, 4).map((text, i) => ({ id: `q${i}`, text, goldIds: [], goldIdsLong: [], excludedIds: [] }));
  const timeRetrieval = async () => {
    const retriever = await createDenseRetriever({ model: dir, device: 'cpu', cacheDir, batchTokens: BATCH_TOKENS });
    const begin = performance.now();
    for await (const _ of retrieve(retriever, { task: 'biology', corpus, corpusSha256: 'bench', queries, depth: 10 })) void _;
    return (performance.now() - begin) / 1000;
  };
  const cold = await timeRetrieval();
  const hit = await timeRetrieval();
  await fs.rm(cacheDir, { recursive: true, force: true });

  return [
    { bench: 'encode', metric: `BERT-base, ${DOCS} docs, ${tokens} tokens, end to end (best of 3)`, value: `${(DOCS / ours).toFixed(2)} docs/s, ${Math.round(tokens / ours)} tok/s (${ours.toFixed(1)} s)` },
    { bench: 'encode', metric: 'bare onnxruntime session, identical batches (best of 3)', value: `${(DOCS / bare).toFixed(2)} docs/s (${bare.toFixed(1)} s)` },
    { bench: 'encode', metric: 'harness overhead vs bare session', value: `${(overhead * 100).toFixed(1)} %`, target: '<= 10 %', ok: overhead <= 0.1 },
    { bench: 'encode', metric: `dense retrieval cold (encode ${DOCS} docs + 4 queries, search)`, value: `${cold.toFixed(2)} s` },
    { bench: 'encode', metric: 'dense retrieval rerun, cache hit', value: `${hit.toFixed(3)} s (${(cold / hit).toFixed(0)}x faster)`, target: '< 5 % of cold', ok: hit < 0.05 * cold },
  ];
}

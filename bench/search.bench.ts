/**
 * `npm run bench -- search`:
 *  1. exact top-k over 400k x 768 float32 vectors for 142 queries (leetcode-sized), k = 1000, one ONNX Gemm per
 *     corpus block and the top rows selected in JS, against the machine's GEMM peak measured with a large ORT Gemm;
 *  2. `reasonir eval --retriever embeddings` as a whole process on a generated biology-like task of 45,000
 *     documents x 768 (precomputed .npy embeddings, 103 queries): target <= 1.5 s.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrightRow } from '../tools/bright-parquet.mjs';
import { runContext, withRunContext } from '../src/core/run-context.js';
import { seededRandom } from '../src/core/seeded-random.js';
import { writeNpy } from '../src/export/npy-writer.js';
import type { BenchRow } from './table.js';
import { median, peakRssMb, timeNode } from './table.js';
import { openModel } from '../src/encode/ort-backend.js';
import { blockRowsFor, exactTopK, type DocumentBlock } from '../src/retrieval/dense/exact-search.js';
import { buildScoreGraph } from '../src/retrieval/dense/score-graph.js';

const DOCS = 400_000;
const DIM = 768;
const QUERIES = 142;
const DEPTH = 1000;

function random(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

/**
 * Single Gemm runs on this VM are bimodal, quiet machine included: most run at ~100 GFLOP/s, some at ~330 (every
 * shape tried, 142 x 5461 to 2048 x 2048). The peak is the fast mode, caught by the best of many short runs (25,
 * after 2 warm-ups; the median is shown beside it); the search, long enough to mix both modes, is the median of
 * SEARCH_RUNS. Efficiency = median search rate / the machine's Gemm peak (gemmPeak).
 */
const PEAK_RUNS = 25;
const SEARCH_RUNS = 5;
const PEAK_SHAPE = { m: 1024, n: 4096 };

/**
 * The machine's Gemm rate, measured the same way every time: the search's own graph on a compute-bound shape
 * (1024 x 4096 x 768) with onnxruntime's default session options (spinning; every core unless `threads` says
 * otherwise), its output written into one reused buffer (a fresh 16 MB output per run would time page faults, not
 * arithmetic), two warm-up runs, then PEAK_RUNS timed runs. The same procedure runs at the search's own block shape
 * (how fast one of the search's Gemm calls can go, selection and mode mixing aside), and on one thread at both
 * shapes, before and after the searches.
 *
 * The peak is the highest of: the best all-core rate of either shape, and the cores times the best one-thread rate
 * of either shape. The all-core best alone was not stable: it needs every core in the fast mode at once, and read
 * 275-365 GFLOP/s from run to run on a quiet machine and 104-307 at load 6, where twice one thread's best read
 * 326-352 in 4 of 5 processes. Each added measurement can only raise the peak, never lower it.
 */
async function gemmPeak({ m, n }: { m: number; n: number }, threads?: number): Promise<{ best: number; median: number }> {
  const open = () => openModel(buildScoreGraph(DIM), { kind: 'cpu', deviceId: 0 });
  // ort-backend reads its thread count from the run's environment (REASONIR_THREADS)
  const session = threads === undefined ? await open() : await withRunContext({ ...runContext(), env: { ...runContext().env, REASONIR_THREADS: String(threads) } }, open);
  const feeds = {
    queries: { type: 'float32' as const, data: random(m * DIM, 1), dims: [m, DIM] },
    documents: { type: 'float32' as const, data: random(n * DIM, 2), dims: [n, DIM] },
  };
  const into = { scores: { data: new Float32Array(m * n), dims: [m, n] } };
  for (let i = 0; i < 2; i++) await session.run(feeds, into);
  const rates: number[] = [];
  let wall = 0;
  const used = process.cpuUsage();
  for (let i = 0; i < PEAK_RUNS; i++) {
    const start = performance.now();
    await session.run(feeds, into);
    const seconds = (performance.now() - start) / 1000;
    wall += seconds;
    rates.push((2 * m * n * DIM) / seconds / 1e9);
  }
  const { user, system } = process.cpuUsage(used);
  await session.release();
  // a one-thread figure taken on more threads would inflate the peak it is multiplied into
  if (threads === 1 && (user + system) / 1e6 > 1.3 * wall) throw new Error(`bench search: the one-thread Gemm used ${((user + system) / 1e6).toFixed(2)} s of CPU in ${wall.toFixed(2)} s`);
  return { best: Math.max(...rates), median: median(rates) };
}

export async function run(): Promise<BenchRow[]> {
  return [...(await searchRows()), ...(await denseEvalRows())];
}

async function searchRows(): Promise<BenchRow[]> {
  const peak = await gemmPeak(PEAK_SHAPE);
  const blockRows = blockRowsFor(DIM, QUERIES);
  const atBlockShape = await gemmPeak({ m: QUERIES, n: blockRows });
  const cores = os.availableParallelism();
  // one thread at both shapes, now and again after the searches (another stretch of time: a slow spell of the
  // machine's that covers one round rarely covers both)
  const oneThreadRound = async () => Math.max((await gemmPeak(PEAK_SHAPE, 1)).best, (await gemmPeak({ m: QUERIES, n: blockRows }, 1)).best);
  const oneThreadBefore = await oneThreadRound();
  const blocks: DocumentBlock[] = [];
  for (let start = 0; start < DOCS; start += blockRows) {
    const rows = Math.min(blockRows, DOCS - start);
    blocks.push({ start, rows, vectors: random(rows * DIM, 1000 + start) });
  }
  const queries = random(QUERIES * DIM, 7);
  const needed = Array.from({ length: QUERIES }, (_, q) => DEPTH + (q % 3));
  const times: number[] = [];
  const cpus: number[] = [];
  let complete = true;
  for (let i = 0; i < SEARCH_RUNS; i++) {
    const started = performance.now();
    const used = process.cpuUsage();
    const tops = await exactTopK({
      queries,
      queryCount: QUERIES,
      dim: DIM,
      totalRows: DOCS,
      needed,
      scoreScale: 1,
      device: { kind: 'cpu', deviceId: 0 },
      blocks: async function* () {
        yield* blocks;
      },
    });
    const { user, system } = process.cpuUsage(used);
    times.push((performance.now() - started) / 1000);
    cpus.push((user + system) / 1e6);
    complete &&= tops.every((top, q) => top.rows.length === needed[q]);
  }
  const oneThreadAfter = await oneThreadRound();
  const seconds = median(times);
  const gflops = (2 * QUERIES * DOCS * DIM) / seconds / 1e9;
  // the highest rate any of the measurements reached or implies (gemmPeak): more samples can only raise it
  const best = Math.max(peak.best, atBlockShape.best, cores * oneThreadBefore, cores * oneThreadAfter);
  const efficiency = gflops / best;
  return [
    {
      bench: 'search',
      metric: `ORT Gemm peak (${PEAK_SHAPE.m} x ${PEAK_SHAPE.n} x ${DIM}, output in a reused buffer, 2 warm-up runs, best of ${PEAK_RUNS}; median in brackets)`,
      value: `${peak.best.toFixed(1)} GFLOP/s (${peak.median.toFixed(1)})`,
    },
    {
      bench: 'search',
      metric: `ORT Gemm at the search's block shape (${QUERIES} x ${blockRows} x ${DIM}), measured the same way`,
      value: `${atBlockShape.best.toFixed(1)} GFLOP/s (${atBlockShape.median.toFixed(1)})`,
    },
    {
      bench: 'search',
      metric: `ORT Gemm on one thread, measured the same way at both shapes, best before / after the searches (x ${cores} cores in brackets)`,
      value: `${oneThreadBefore.toFixed(1)} / ${oneThreadAfter.toFixed(1)} GFLOP/s (${(cores * Math.max(oneThreadBefore, oneThreadAfter)).toFixed(1)})`,
    },
    {
      bench: 'search',
      metric: `exact top-${DEPTH} of ${DOCS} x ${DIM} for ${QUERIES} queries (blocks of ${blockRows}, median of ${SEARCH_RUNS})`,
      value: `${seconds.toFixed(2)} s (CPU ${median(cpus).toFixed(2)} s), ${gflops.toFixed(1)} GFLOP/s`,
      target: '< 10 s',
      ok: seconds < 10 && complete,
    },
    { bench: 'search', metric: `search efficiency: median search rate / the Gemm peak, the highest of the rows above (${best.toFixed(1)} GFLOP/s)`, value: `${(efficiency * 100).toFixed(0)} %`, target: '>= 50 %', ok: efficiency >= 0.5 },
    { bench: 'search', metric: 'peak RSS (corpus held in memory by the bench)', value: `${peakRssMb().toFixed(0)} MB` },
  ];
}

// compiled to dist-bench/bench/: the repository is two levels up, the CLI beside this folder
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const cli = path.resolve(here, '..', 'src', 'cli', 'main.js');
const EVAL_DOCS = 45_000;
const EVAL_QUERIES = 103;

/**
 * A biology-shaped task under .bench-tmp (made once): examples (gold and excluded ids), 45k documents in row groups
 * of 10k, and random float32 embeddings for both, not unit length (cosine normalises them), as np.save writes them.
 */
async function denseTask(): Promise<{ dataDir: string; docEmb: string; queryEmb: string }> {
  const root = path.join(repoRoot, '.bench-tmp', `dense-task-${EVAL_DOCS}x${DIM}`);
  const files = { dataDir: path.join(root, 'data'), docEmb: path.join(root, 'doc_emb.npy'), queryEmb: path.join(root, 'query_emb.npy') };
  if (existsSync(path.join(root, 'done'))) return files;
  rmSync(root, { recursive: true, force: true });
  const { openBrightParquet, brightColumns } = (await import(pathToFileURL(path.join(repoRoot, 'tools', 'bright-parquet.mjs')).href)) as typeof import('../tools/bright-parquet.mjs');
  const next = seededRandom(45);
  const ids = Array.from({ length: EVAL_DOCS }, (_, i) => `${1000 + Math.floor(i / 7)}_${i % 7}.txt`);
  // 20k made-up words in Zipf-like draws, 30-60 a document: 7 MB of SNAPPY parquet (biology: 11 MB for 57k documents)
  const syllables = ['cell', 'pro', 'tein', 'gen', 'e', 'mem', 'brane', 'en', 'zyme', 'spe', 'cies', 'ev', 'o', 'lu', 'tion', 'dna', 'ic', 'al'];
  const words = Array.from({ length: 20_000 }, () => Array.from({ length: 1 + Math.floor(next() * 4) }, () => syllables[Math.floor(next() * syllables.length)]).join(''));
  const word = () => words[Math.floor(Math.exp(next() * Math.log(words.length))) - 1]!;
  const write = (config: 'documents' | 'examples', rows: BrightRow[]) => {
    const filename = path.join(files.dataDir, config, 'biology-00000-of-00001.parquet');
    mkdirSync(path.dirname(filename), { recursive: true });
    const parquet = openBrightParquet({ filename, columns: brightColumns[config], codec: 'SNAPPY' });
    for (let start = 0; start < rows.length; start += 10_000) parquet.write(rows.slice(start, start + 10_000));
    parquet.finish();
  };
  write('documents', ids.map((id) => ({ id, content: Array.from({ length: 30 + Math.floor(next() * 30) }, word).join(' ') })));
  const examples = Array.from({ length: EVAL_QUERIES }, (_, q) => {
    const gold = Array.from({ length: 1 + (q % 5) }, () => ids[Math.floor(next() * EVAL_DOCS)]!);
    const excluded = q % 4 === 0 ? ['N/A'] : Array.from({ length: 1 + (q % 3) }, () => ids[Math.floor(next() * EVAL_DOCS)]!).filter((id) => !gold.includes(id));
    return { query: `question ${q} about biology`, reasoning: '', id: String(q), excluded_ids: excluded, gold_ids_long: ['N/A'], gold_ids: [...new Set(gold)], gold_answer: '' };
  });
  write('examples', examples);
  const gaussian = (count: number) => {
    const out = new Float32Array(count * DIM);
    for (let i = 0; i < out.length; i++) out[i] = next() + next() + next() - 1.5;
    return out;
  };
  const blocks = function* () {
    for (let start = 0; start < EVAL_DOCS; start += 5000) yield gaussian(Math.min(5000, EVAL_DOCS - start));
  };
  await writeNpy(files.docEmb, EVAL_DOCS, DIM, blocks());
  await writeNpy(files.queryEmb, EVAL_QUERIES, DIM, [gaussian(EVAL_QUERIES)]);
  mkdirSync(path.join(root, 'done'));
  return files;
}

/** `reasonir eval --retriever embeddings` as a child process (timeNode: wall and CPU), each into a fresh --out folder. */
export async function denseEvalRows(): Promise<BenchRow[]> {
  const task = await denseTask();
  const outRoot = path.join(repoRoot, '.bench-tmp', 'dense-eval-out');
  rmSync(outRoot, { recursive: true, force: true });
  const wall: number[] = [];
  const cpu: number[] = [];
  const repeats = 5;
  for (let i = 0; i < repeats; i++) {
    const out = path.join(outRoot, String(i));
    const run = timeNode([cli, 'eval', '--task', 'biology', '--retriever', 'embeddings', '--doc-emb', task.docEmb, '--query-emb', task.queryEmb, '--device', 'cpu', '--data-dir', task.dataDir, '--out', out, '-q'], 1);
    const lines = readFileSync(path.join(out, 'biology', 'run.trec'), 'utf8').split('\n').length - 1;
    if (lines !== EVAL_QUERIES * 1000) throw new Error(`bench dense eval: run.trec has ${lines} lines, expected ${EVAL_QUERIES * 1000}`);
    wall.push(...run.wall);
    cpu.push(...run.cpu);
  }
  rmSync(outRoot, { recursive: true, force: true });
  const seconds = median(wall);
  return [
    {
      bench: 'search',
      metric: `reasonir eval --retriever embeddings, ${EVAL_DOCS} x ${DIM} .npy, ${EVAL_QUERIES} queries, whole process (median of ${repeats})`,
      value: `${seconds.toFixed(2)} s (CPU ${median(cpu).toFixed(2)} s)`,
      target: '<= 1.5 s',
      ok: seconds <= 1.5,
    },
  ];
}

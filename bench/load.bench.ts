/**
 * `npm run bench -- load`: parquet decode throughput (compressed MB/s) on a biology-sized and a leetcode-sized
 * documents file, decoded the way a cold BM25 `eval` reads a corpus: the content column by the analysis threads,
 * each decoding its own ranges of row groups from the file (the ranges BM25 analysis gives them) into the UTF-8
 * bytes the analyzer takes (texts dropped), the
 * first range of each sent as soon as the file is open (as `eval`'s prefetch sends it), while the main thread decodes
 * the id column (ids kept); the other ranges once the ids are decoded. The workers are started, and import their modules, before
 * the timer, as this process imports its own: in `eval` they start while the task loads. The same decode with the
 * texts streamed on the main thread (loadTask's `texts()`: memory-light readers, small corpora) is shown beside it.
 *
 * The files are generated once into .bench-tmp/ (the name carries the generator's version) and shaped like the
 * real ones, so that compressed MB/s means the same thing: HF `datasets` writes row groups of 1,000 rows (its
 * default writer batch size) with pyarrow's defaults (SNAPPY, 1 MB pages, a dictionary while a row group's values
 * fit in 1 MB: all of biology's, the first ~85 % of a leetcode row group's); row counts and compressed sizes as in
 * the Hub manifest (biology 57,359 rows / 11.0 MB, leetcode 413,932 rows / 210.5 MB); text that compresses like
 * the real rows (snappy 1.7x for biology's prose, 2.3x for leetcode's problems and code, measured on the published
 * examples); non-ASCII characters in 30 % of biology's documents and 3 % of leetcode's (the share of gold answers
 * and queries that have one). hyparquet-writer writes v2 data pages where pyarrow writes v1, and leetcode's content
 * is all PLAIN (pyarrow switches from dictionary to PLAIN inside a row group; both decode the same byte arrays).
 * Each file is decoded in a fresh child process, several times; the table shows medians of wall and CPU time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { openBrightParquet as OpenBrightParquet } from '../tools/bright-parquet.mjs';
import { seededRandom } from '../src/core/seeded-random.js';
import { readCorpusIds } from '../src/dataset/load-task.js';
import { openParquet } from '../src/dataset/parquet.js';
import { storedTexts } from '../src/dataset/parquet-texts.js';
import type { StoredChunk } from '../src/retrieval/bm25/analysis-worker.js';
import { storedChunks } from '../src/retrieval/bm25/chunk-plan.js';
import type { DecodeReply } from './decode-worker.js';
import type { BenchRow } from './table.js';
import { median, peakRssMb } from './table.js';

// compiled to dist-bench/bench/: the repository is two levels up (core's repoRoot would be dist-bench/)
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROW_GROUP = 1000;
const GENERATOR = 'v2';

interface Corpus {
  name: 'biology' | 'leetcode';
  rows: number;
  runs: number;
}
const corpora: Corpus[] = [
  { name: 'biology', rows: 57_359, runs: 5 },
  { name: 'leetcode', rows: 413_932, runs: 3 },
];

const fileOf = (corpus: Corpus) => path.join(repoRoot, '.bench-tmp', `${corpus.name}-like-documents-${corpus.rows}-${GENERATOR}.parquet`);

/** Pseudo-words drawn with Zipf's law (s = 0.75 for prose, 0.9 for code): tuned to the real snappy ratios. */
function wordSource(next: () => number, vocabulary: number, exponent: number): () => string {
  const syllables = ['ka', 'ri', 'to', 'men', 'sa', 'lo', 'ne', 'tri', 'pho', 'gen', 'cel', 'bio', 'ter', 'ion', 'ase', 'al', 'ous', 'ing', 'ed', 'er', 'pro', 'syn', 'ly', 'tic', 'mo', 'ra', 'vi', 'de', 'con', 'ex'];
  const words = Array.from({ length: vocabulary }, () => {
    let word = '';
    for (let n = 1 + Math.floor(next() * 4); n > 0; n--) word += syllables[Math.floor(next() * syllables.length)];
    return word;
  });
  const cumulative = new Float64Array(vocabulary);
  let sum = 0;
  for (let i = 0; i < vocabulary; i++) cumulative[i] = sum += 1 / Math.pow(i + 1, exponent);
  return () => {
    const target = next() * sum;
    let lo = 0;
    let hi = vocabulary - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
}

function prose(word: () => string, next: () => number, length: number): string {
  let text = '';
  while (text.length < length) {
    let sentence = '';
    for (let n = 6 + Math.floor(next() * 18), i = 0; i < n; i++) {
      const w = word();
      sentence += i === 0 ? w[0]!.toUpperCase() + w.slice(1) : ` ${w}`;
      if (next() < 0.08) sentence += ',';
      if (next() < 0.02) sentence += ` ${Math.floor(next() * 1000)}`;
    }
    text += text ? ` ${sentence}.` : `${sentence}.`;
  }
  return text;
}

function code(word: () => string, next: () => number, length: number): string {
  const keywords = ['def', 'return', 'for', 'in', 'range', 'if', 'else:', 'while', 'class', 'self', 'int', 'List[int]', 'len', 'None', 'True', 'False', 'append', 'dict()', '==', '+=', '-', '+'];
  const names = Array.from({ length: 6 }, () => (next() < 0.5 ? `${word()}_${word()}` : word()));
  let text = `${prose(word, next, Math.floor(length * 0.3))}\n\n`;
  let indent = 0;
  while (text.length < length) {
    indent = Math.max(0, Math.min(4, indent + Math.floor(next() * 3) - 1));
    let line = '    '.repeat(indent);
    for (let n = 2 + Math.floor(next() * 7), i = 0; i < n; i++) {
      const r = next();
      const token = r < 0.45 ? keywords[Math.floor(next() * keywords.length)]! : r < 0.9 ? names[Math.floor(next() * names.length)]! : String(Math.floor(next() * 100));
      line += i === 0 ? token : ` ${token}`;
    }
    text += `${line}\n`;
  }
  return text;
}

async function generate(corpus: Corpus): Promise<void> {
  const file = fileOf(corpus);
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const { openBrightParquet } = (await import(pathToFileURL(path.join(repoRoot, 'tools', 'bright-parquet.mjs')).href)) as { openBrightParquet: typeof OpenBrightParquet };
  const next = seededRandom(42);
  const biology = corpus.name === 'biology';
  const word = biology ? wordSource(next, 30_000, 0.75) : wordSource(next, 20_000, 0.9);
  const special = ['\u2019', '\u201c', '\u201d', '\u2014', '\u00e9', '\u00b0', '\u00b5', '\u00d7'];
  const temporary = `${file}.tmp`;
  const writer = openBrightParquet({
    filename: temporary,
    columns: { id: 'string', content: 'string' },
    codec: 'SNAPPY',
    encodings: { id: 'RLE_DICTIONARY', content: biology ? 'RLE_DICTIONARY' : 'PLAIN' },
  });
  for (let start = 0; start < corpus.rows; start += ROW_GROUP) {
    const rows = [];
    for (let i = start; i < Math.min(start + ROW_GROUP, corpus.rows); i++) {
      const length = Math.floor((biology ? 270 : 1160) * (0.2 + next() * 1.6));
      let content = biology ? prose(word, next, length) : code(word, next, length);
      if (next() < (biology ? 0.3 : 0.03)) {
        const at = Math.floor(next() * content.length);
        content = content.slice(0, at) + special[Math.floor(next() * special.length)]! + content.slice(at);
      }
      rows.push({ id: `${corpus.name}/${word()}_${i}.txt`, content });
    }
    writer.write(rows);
  }
  writer.finish();
  renameSync(temporary, file);
}

type Mode = 'workers' | 'main';

interface Decoded {
  wallSeconds: number;
  /** Process CPU time (every thread) inside the timed region. */
  cpuSeconds: number;
  rows: number;
  /** The texts' size: UTF-8 bytes as the workers read them, UTF-16 characters as the main thread streams them. */
  textSize: number;
  rowGroups: number;
  /** Threads that decoded the texts (1: the main thread). */
  textThreads: number;
  peakRssMb: number;
}

/** Decode workers, each answering once it has imported its modules. */
async function startDecoders(threads: number): Promise<Worker[]> {
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./decode-worker.js', import.meta.url)));
  await Promise.all(workers.map((worker) => new Promise((ready, failed) => worker.once('message', ready).once('error', failed))));
  return workers;
}

/** The chunks' row groups decoded by the workers, each taking the next chunk when it has answered. */
function decodeInWorkers(workers: Worker[], chunks: ReadonlyArray<{ source: StoredChunk }>): Promise<DecodeReply> {
  return new Promise((resolve, reject) => {
    const total: DecodeReply = { rows: 0, bytes: 0 };
    let next = 0;
    let pending = 0;
    const give = (worker: Worker) => {
      if (next < chunks.length) {
        worker.postMessage(chunks[next++]!.source);
        pending++;
      } else if (pending === 0) {
        resolve(total);
      }
    };
    for (const worker of workers) {
      worker.on('message', (reply: DecodeReply) => {
        pending--;
        total.rows += reply.rows;
        total.bytes += reply.bytes;
        give(worker);
      });
      worker.on('error', reject);
    }
    for (const worker of workers) give(worker);
  });
}

/**
 * Child process: decode the file as a cold BM25 eval does (texts decoded by the workers from their own row groups
 * as UTF-8 and dropped, the first range of each while the ids are decoded here and kept), or with the texts streamed on the
 * main thread after the ids (`main`).
 */
async function decode(target: string, mode: Mode): Promise<void> {
  const threads = os.availableParallelism();
  const workers = mode === 'workers' ? await startDecoders(threads) : [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  const parquet = await openParquet(target, { id: 'string', content: 'string' }, 'bench');
  // the analysis's own split; none (a small corpus, too few row groups) means it reads the texts on this thread too
  const chunks = mode === 'workers' ? storedChunks(storedTexts(parquet, 'content'), threads) : null;
  // each worker is given its first chunk now, as eval's prefetch does; the others go out once the ids are decoded
  const decoding = chunks !== null ? decodeInWorkers(workers, chunks) : null;
  // the ids as a cold eval decodes them (UTF-8 bytes, no string per id)
  const ids = await readCorpusIds(parquet, 'bench');
  let textSize = 0;
  let texts = 0;
  if (decoding !== null) {
    ({ rows: texts, bytes: textSize } = await decoding);
  } else {
    for await (const batch of parquet.read({ content: 'string' })) {
      for (const text of batch.columns.content) textSize += text.length;
      texts += batch.rows;
    }
  }
  const used = process.cpuUsage(cpu);
  const wallSeconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((worker) => worker.terminate()));
  const result: Decoded = {
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    rows: Math.min(ids.length, texts),
    textSize,
    rowGroups: parquet.rowGroups,
    textThreads: chunks !== null ? threads : 1,
    peakRssMb: peakRssMb(),
  };
  process.stdout.write(JSON.stringify(result));
}

async function measure(corpus: Corpus): Promise<BenchRow[]> {
  const generateStart = performance.now();
  await generate(corpus);
  const generateSeconds = (performance.now() - generateStart) / 1000;
  const file = fileOf(corpus);
  const megabytes = statSync(file).size / 1e6;
  // the two ways alternate run by run, so that a change in the machine's load weighs on both alike
  const results: Record<Mode, Decoded[]> = { workers: [], main: [] };
  for (let run = 0; run < corpus.runs; run++) {
    for (const mode of ['workers', 'main'] as const) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--decode', file, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`decode child failed: ${child.stderr}`);
      results[mode].push(JSON.parse(child.stdout) as Decoded);
    }
  }
  const first = results.workers[0]!;
  const wall = (mode: Mode) => median(results[mode].map((result) => result.wallSeconds));
  const cpu = (mode: Mode) => median(results[mode].map((result) => result.cpuSeconds));
  const rate = megabytes / wall('workers');
  const peak = median(results.workers.map((result) => result.peakRssMb));
  const bench = `load ${corpus.name}`;
  const textThreads = first.textThreads === 1 ? 'the main thread' : `${first.textThreads} worker threads`;
  return [
    { bench, metric: 'file', value: `${megabytes.toFixed(1)} MB snappy, ${first.rows} rows, ${first.rowGroups} row groups, ${(results.main[0]!.textSize / 1e6).toFixed(0)}M chars${generateSeconds > 1 ? ` (generated in ${generateSeconds.toFixed(0)} s)` : ''}` },
    { bench, metric: `decode ids (main thread) + texts (${textThreads}, as BM25 eval) (median of ${corpus.runs})`, value: `${wall('workers').toFixed(2)} s wall, ${cpu('workers').toFixed(2)} s CPU` },
    { bench, metric: 'throughput (compressed, wall)', value: `${rate.toFixed(1)} MB/s`, target: '>= 150 MB/s', ok: rate >= 150 },
    { bench, metric: 'throughput (compressed, CPU time)', value: `${(megabytes / cpu('workers')).toFixed(1)} MB/s` },
    { bench, metric: `same, texts streamed on the main thread (median of ${corpus.runs})`, value: `${wall('main').toFixed(2)} s wall, ${cpu('main').toFixed(2)} s CPU = ${(megabytes / wall('main')).toFixed(1)} MB/s wall, ${(megabytes / cpu('main')).toFixed(1)} MB/s CPU` },
    { bench, metric: 'peak RSS (decode process)', value: `${peak.toFixed(0)} MB`, target: '< 1024 MB', ok: peak < 1024 },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const corpus of corpora) rows.push(...(await measure(corpus)));
  return rows;
}

if (process.argv[2] === '--decode' && process.argv[3]) await decode(process.argv[3], process.argv[4] === 'main' ? 'main' : 'workers');

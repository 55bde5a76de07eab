/**
 * `npm run bench -- load`: parquet decode throughput and peak memory on a leetcode-sized documents file
 * (about 414k rows, 200+ MB SNAPPY, many row groups) generated once into .bench-tmp/ with hyparquet-writer.
 * Decoding runs in a child process so its peak RSS is not the generator's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { openBrightParquet as OpenBrightParquet } from '../tools/bright-parquet.mjs';
import { seededRandom } from '../src/core/seeded-random.js';
import { openParquet } from '../src/dataset/parquet.js';
import type { BenchRow } from './table.js';
import { peakRssMb } from './table.js';

// compiled to dist-bench/bench/: the repository is two levels up (core's repoRoot would be dist-bench/)
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROWS = 413_932;
const ROW_GROUP = 10_000;
const file = path.join(repoRoot, '.bench-tmp', `leetcode-like-documents-${ROWS}.parquet`);

/** Deterministic code-like text: identifiers, numbers and punctuation from a seeded PRNG, about 1.1 kB per row. */
function makeRows(start: number, count: number, next: () => number): Array<{ id: string; content: string }> {
  const words = ['def', 'return', 'for', 'in', 'range', 'if', 'else', 'while', 'class', 'self', 'int', 'list', 'dict', 'None', 'True', '=', '+=', '(', ')', ':', '[', ']', ','];
  const rows = [];
  for (let i = start; i < start + count; i++) {
    const parts: string[] = [];
    const length = 120 + Math.floor(next() * 120);
    for (let j = 0; j < length; j++) {
      const r = next();
      if (r < 0.45) parts.push(words[Math.floor(next() * words.length)]!);
      else if (r < 0.85) parts.push(`v${Math.floor(next() * 1e6).toString(36)}`);
      else parts.push(String(Math.floor(next() * 1e5)));
    }
    rows.push({ id: `leetcode/solution_${i}.txt`, content: parts.join(' ') });
  }
  return rows;
}

async function generate(): Promise<void> {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const { openBrightParquet } = (await import(pathToFileURL(path.join(repoRoot, 'tools', 'bright-parquet.mjs')).href)) as { openBrightParquet: typeof OpenBrightParquet };
  const next = seededRandom(42);
  const temporary = `${file}.tmp`;
  const writer = openBrightParquet({ filename: temporary, columns: { id: 'string', content: 'string' }, codec: 'SNAPPY' });
  for (let start = 0; start < ROWS; start += ROW_GROUP) writer.write(makeRows(start, Math.min(ROW_GROUP, ROWS - start), next));
  writer.finish();
  renameSync(temporary, file);
}

/** Child process: decode the whole file the way loadTask reads a corpus, keeping every id and text. */
async function decode(target: string): Promise<void> {
  const started = performance.now();
  const parquet = await openParquet(target, { id: 'string', content: 'string' }, 'bench');
  const ids: string[] = [];
  const texts: string[] = [];
  let characters = 0;
  for await (const batch of parquet.read({ id: 'string', content: 'string' })) {
    for (let i = 0; i < batch.rows; i++) {
      ids.push(batch.columns.id[i]!);
      texts.push(batch.columns.content[i]!);
      characters += batch.columns.content[i]!.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ seconds, rows: ids.length, texts: texts.length, characters, rowGroups: parquet.rowGroups, peakRssMb: peakRssMb() }));
}

export async function run(): Promise<BenchRow[]> {
  const generateStart = performance.now();
  await generate();
  const generateSeconds = (performance.now() - generateStart) / 1000;
  const bytes = statSync(file).size;
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--decode', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`decode child failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout) as { seconds: number; rows: number; characters: number; rowGroups: number; peakRssMb: number };
  const megabytes = bytes / 1e6;
  const rate = megabytes / result.seconds;
  return [
    { bench: 'load', metric: 'file', value: `${megabytes.toFixed(1)} MB snappy, ${result.rows} rows, ${result.rowGroups} row groups, ${(result.characters / 1e6).toFixed(0)}M chars${generateSeconds > 1 ? ` (generated in ${generateSeconds.toFixed(0)} s)` : ''}` },
    { bench: 'load', metric: 'decode time', value: `${result.seconds.toFixed(2)} s` },
    { bench: 'load', metric: 'throughput (compressed)', value: `${rate.toFixed(1)} MB/s`, target: '>= 150 MB/s', ok: rate >= 150 },
    { bench: 'load', metric: 'rows/s', value: `${Math.round(result.rows / result.seconds)}` },
    { bench: 'load', metric: 'peak RSS (decode process)', value: `${result.peakRssMb.toFixed(0)} MB`, target: '< 1024 MB', ok: result.peakRssMb < 1024 },
  ];
}

if (process.argv[2] === '--decode' && process.argv[3]) await decode(process.argv[3]);

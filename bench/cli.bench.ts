/**
 * `npm run bench -- cli`: whole processes of the CLI, start-up included, timed by wall clock with their CPU time
 * (bash `time`; medians of several):
 *   --version                                            target <= 0.15 s (bare `node -e 0` shown as the floor)
 *   score, 433 queries x 1000 lines, BRIGHT's 25 measures  target <= 0.45 s
 *   analyze, ~18 MB of text lines on stdin                target >= 9.3 MB/s
 * The CLI is the one compiled with the benchmarks (dist-bench/src), so a stale dist/ is never measured.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RankedList, type Run } from '../src/eval/ranked-list.js';
import { seededRandom } from '../src/core/seeded-random.js';
import { writeTrecRun } from '../src/eval/trec-run.js';
import type { BenchRow } from './table.js';
import { median, timeNode } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// compiled to dist-bench/bench/: the repository is two levels up, the CLI beside this folder
const repoRoot = path.resolve(here, '..', '..');
const cli = path.resolve(here, '..', 'src', 'cli', 'main.js');
const BENCH = 'cli';

async function scoreFiles(dir: string): Promise<{ runFile: string; qrelsFile: string }> {
  const next = seededRandom(433);
  const run: Run = new Map();
  const qrels: string[] = [];
  for (let q = 0; q < 433; q++) {
    const docIds: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < 1000; i++) {
      docIds.push(`biology/doc_${Math.floor(next() * 57_000)}_${i}.txt`);
      scores.push(Math.fround(30 - i * 0.02 + next()));
    }
    run.set(String(q), RankedList.of(docIds, scores));
    for (let g = 0; g < 5; g++) qrels.push(`${q} 0 ${next() < 0.5 ? docIds[Math.floor(next() * 1000)]! : `biology/gold_${q}_${g}.txt`} 1`);
  }
  const runFile = path.join(dir, 'cli-bench-run.trec');
  const qrelsFile = path.join(dir, 'cli-bench.qrels');
  await writeTrecRun(runFile, run, 'bench');
  writeFileSync(qrelsFile, `${qrels.join('\n')}\n`);
  return { runFile, qrelsFile };
}

/** Lines of English-like text (words, numbers, punctuation, possessives), about `megabytes` MB of UTF-8. */
function analyzeInput(megabytes: number): Buffer {
  const next = seededRandom(17);
  const syllables = ['the', 'in', 'ing', 'tion', 'al', 'er', 'ly', 'con', 'pro', 're', 'ate', 'ness', 'cell', 'gen', 'ment', 'ic', 'ous', 'is', 'an', 'ed', 's'];
  const words = Array.from({ length: 50_000 }, () => {
    let word = '';
    for (let k = 1 + Math.floor(next() * 4); k > 0; k--) word += syllables[Math.floor(next() * syllables.length)];
    return word;
  });
  const lines: string[] = [];
  let size = 0;
  while (size < megabytes * 1e6) {
    const parts: string[] = [];
    for (let k = 20 + Math.floor(next() * 200); k > 0; k--) {
      const roll = next();
      const word = words[Math.floor(Math.exp(next() * Math.log(words.length))) - 1]!;
      parts.push(roll < 0.02 ? String(Math.floor(next() * 1e5)) : roll < 0.03 ? `${word}'s` : roll < 0.1 ? `${word},` : word);
    }
    const line = parts.join(' ');
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

export async function run(): Promise<BenchRow[]> {
  const dir = path.join(repoRoot, '.bench-tmp');
  mkdirSync(dir, { recursive: true });
  const rows: BenchRow[] = [];

  const node = timeNode(['-e', '0'], 7);
  const version = timeNode([cli, '--version'], 7);
  const versionWall = median(version.wall);
  rows.push(
    { bench: BENCH, metric: 'bare node start (node -e 0, median of 7): the floor on this machine', value: `${median(node.wall).toFixed(3)} s (CPU ${median(node.cpu).toFixed(3)} s)` },
    { bench: BENCH, metric: 'reasonir --version, whole process (median of 7)', value: `${versionWall.toFixed(3)} s (CPU ${median(version.cpu).toFixed(3)} s)`, target: '<= 0.15 s', ok: versionWall <= 0.15 },
  );
  // Node parses the whole bundle NODE_EXTRA_CA_CERTS names before any JS, in every process (~0.06 s for a 0.22 MB
  // bundle on the machine this was found on): shown beside the floor, so that a reader can tell it from the host's
  // speed. Every whole-process row runs in the environment as given.
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...withoutExtraCerts } = process.env;
    const bare = timeNode(['-e', '0'], 7, undefined, withoutExtraCerts);
    rows.push({ bench: BENCH, metric: `bare node start without NODE_EXTRA_CA_CERTS (set here to ${extraCaCerts})`, value: `${median(bare.wall).toFixed(3)} s (CPU ${median(bare.cpu).toFixed(3)} s)` });
  }

  const { runFile, qrelsFile } = await scoreFiles(dir);
  const score = timeNode([cli, 'score', '--run', runFile, '--qrels', qrelsFile, '-q'], 3);
  const scoreWall = median(score.wall);
  rows.push({
    bench: BENCH,
    metric: `reasonir score, 433k-line run (${(statSync(runFile).size / 1e6).toFixed(0)} MB), 25 measures, whole process (median of 3)`,
    value: `${scoreWall.toFixed(2)} s (CPU ${median(score.cpu).toFixed(2)} s)`,
    target: '<= 0.45 s',
    ok: scoreWall <= 0.45,
  });

  const input = analyzeInput(17.8);
  const analyze = timeNode([cli, 'analyze'], 3, input);
  const rate = input.length / 1e6 / median(analyze.wall);
  rows.push({
    bench: BENCH,
    metric: `reasonir analyze, ${(input.length / 1e6).toFixed(1)} MB on stdin, whole process wall (median of 3)`,
    value: `${rate.toFixed(1)} MB/s (CPU time: ${(input.length / 1e6 / median(analyze.cpu)).toFixed(1)} MB/s)`,
    target: '>= 9.3 MB/s',
    ok: rate >= 9.3,
  });
  return rows;
}

/**
 * `npm run bench -- score`: the scorer at BRIGHT's full size: 1,384 queries x 1,000 documents with all 25
 * measures: writing what `eval` writes per task (run.trec, score.json, metrics) to .bench-tmp/, reading the TREC
 * run back the way `score` does (readRunForScoring) and as RankedLists (readRunFile, for fusion/rerank/export),
 * and evaluating; and buildRankedList on a leetcode-sized (413,932-document) float32 score array with depth 1000.
 * Wall-clock figures carry the CPU time beside them (the machine may be shared).
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Qrels } from '../src/core/types.js';
import { RankedList, type Run } from '../src/eval/ranked-list.js';
import { CorpusIds } from '../src/core/corpus-ids.js';
import { buildRankedList } from '../src/eval/build-run.js';
import { evaluate } from '../src/eval/evaluate.js';
import { DEFAULT_MEASURES } from '../src/eval/measure.js';
import { readRunFile, readRunForScoring } from '../src/eval/run-file.js';
import { writeRunOutputs } from '../src/eval/run-outputs.js';
import { writeEvaluationFiles } from '../src/eval/results-files.js';
import type { BenchRow } from './table.js';
import { median } from './table.js';
import { seededRandom } from '../src/core/seeded-random.js';

// compiled to dist-bench/bench/: the repository is two levels up
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const QUERIES = 1384;
const DOCS_PER_QUERY = 1000;
const CORPUS = 413_932;


/** BRIGHT-like: float32 scores with ties, ~5 gold docs per query, about half of them retrieved. */
function makeRunAndQrels(next: () => number): { run: Run; qrels: Qrels } {
  const run: Run = new Map();
  const qrels: Qrels = new Map();
  for (let q = 0; q < QUERIES; q++) {
    const docIds: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < DOCS_PER_QUERY; i++) {
      docIds.push(`task/doc_${Math.floor(next() * 400_000)}_${i}.txt`);
      scores.push(Math.fround(Math.round((30 - i * 0.02 + next()) * 1000) / 1000));
    }
    run.set(String(q), RankedList.of(docIds, scores));
    const judgments = new Map<string, number>();
    for (let g = 0; g < 5; g++) judgments.set(next() < 0.5 ? docIds[Math.floor(next() * DOCS_PER_QUERY)]! : `task/gold_${q}_${g}.txt`, 1);
    qrels.set(String(q), judgments);
  }
  return { run, qrels };
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
}

export async function run(): Promise<BenchRow[]> {
  const next = seededRandom(20250101);
  const dir = path.join(repoRoot, '.bench-tmp');
  mkdirSync(dir, { recursive: true });
  let { run: generated, qrels } = makeRunAndQrels(next) as { run: Run | undefined; qrels: Qrels };

  // what `eval` writes per task (results-folder.ts): run.trec, score.json, and the metrics files of the evaluation
  const evaluationOfRun = evaluate(generated!, qrels, DEFAULT_MEASURES);
  const outDir = path.join(dir, 'score-bench-out');
  const file = path.join(outDir, 'run.trec');
  const writeTimes: number[] = [];
  const writeCpu: number[] = [];
  for (let repeat = 0; repeat < 3; repeat++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    // together, as writeTaskFolder writes them
    await Promise.all([writeRunOutputs(outDir, generated!, 'bench'), writeEvaluationFiles(outDir, evaluationOfRun, DEFAULT_MEASURES)]);
    writeTimes.push(seconds(start));
    writeCpu.push(cpuSeconds(cpu));
  }
  const writeSeconds = median(writeTimes);
  let writtenBytes = 0;
  for (const name of readdirSync(outDir)) writtenBytes += statSync(path.join(outDir, name)).size;
  generated = undefined; // the scorer starts from the file, with no run already in memory
  let start: bigint;
  const collect = (globalThis as { gc?: () => void }).gc;

  const parseTimes: number[] = [];
  const parseCpu: number[] = [];
  const evaluateTimes: number[] = [];
  for (let repeat = 0; repeat < 3; repeat++) {
    collect?.();
    start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const parsed = await readRunForScoring(file);
    parseTimes.push(seconds(start));
    parseCpu.push(cpuSeconds(cpu));
    start = process.hrtime.bigint();
    const evaluation = evaluate(parsed, qrels, DEFAULT_MEASURES);
    evaluateTimes.push(seconds(start));
    if (evaluation.queryOrder.length !== QUERIES) throw new Error('bench: not every query was evaluated');
  }
  const parseSeconds = median(parseTimes);
  const materialiseTimes: number[] = [];
  for (let repeat = 0; repeat < 3; repeat++) {
    collect?.();
    start = process.hrtime.bigint();
    if ((await readRunFile(file)).size !== QUERIES) throw new Error('bench: readRunFile lost queries');
    materialiseTimes.push(seconds(start));
  }
  const runBytes = statSync(file).size;
  const evaluateSeconds = median(evaluateTimes);

  const ids = Array.from({ length: CORPUS }, (_, i) => `leetcode/solution_${i}.txt`);
  const scores = new Float32Array(CORPUS);
  const excluded = Array.from({ length: 40 }, (_, i) => ids[i * 997]!);
  // the ids' table, as an eval's loader makes it; the first call per corpus also scans it once for repeated ids (its
  // row index, cached per corpus), timed on its own
  CorpusIds.of(ids);
  start = process.hrtime.bigint();
  buildRankedList({ queryId: 'first', docIndices: null, scores }, ids, excluded, 1000);
  const firstCallSeconds = seconds(start);
  const repeats = 20;
  let buildSeconds = 0;
  for (let r = 0; r < repeats; r++) {
    // BM25-like: most documents score 0 (no query term), the rest spread with ties
    for (let i = 0; i < CORPUS; i++) scores[i] = next() < 0.7 ? 0 : Math.round(next() * 5000) / 100;
    start = process.hrtime.bigint();
    const ranked = buildRankedList({ queryId: String(r), docIndices: null, scores }, ids, excluded, 1000);
    buildSeconds += seconds(start);
    if (ranked.length !== 1000) throw new Error('bench: buildRankedList returned a short list');
  }

  const total = parseSeconds + evaluateSeconds;
  const perQueryMs = (buildSeconds / repeats) * 1000;
  return [
    { bench: 'score', metric: `write run.trec + score.json + metrics (${QUERIES}x${DOCS_PER_QUERY}, ${(writtenBytes / 1e6).toFixed(0)} MB, median of 3)`, value: `${writeSeconds.toFixed(3)} s, ${(writtenBytes / 1e6 / writeSeconds).toFixed(0)} MB/s (CPU time: ${(writtenBytes / 1e6 / median(writeCpu)).toFixed(0)} MB/s)`, target: '>= 150 MB/s', ok: writtenBytes / 1e6 / writeSeconds >= 150 },
    { bench: 'score', metric: `read + parse TREC run as score does (${(runBytes / 1e6).toFixed(0)} MB, median of 3)`, value: `${parseSeconds.toFixed(3)} s, ${(runBytes / 1e6 / parseSeconds).toFixed(0)} MB/s (CPU time: ${(runBytes / 1e6 / median(parseCpu)).toFixed(0)} MB/s)`, target: '>= 100 MB/s', ok: runBytes / 1e6 / parseSeconds >= 100 },
    { bench: 'score', metric: 'read + parse TREC run into RankedLists (readRunFile: fusion, rerank, export; median of 3)', value: `${median(materialiseTimes).toFixed(3)} s, ${(runBytes / 1e6 / median(materialiseTimes)).toFixed(0)} MB/s` },
    { bench: 'score', metric: `evaluate ${DEFAULT_MEASURES.length} measures (median of 3)`, value: `${evaluateSeconds.toFixed(3)} s` },
    { bench: 'score', metric: 'parse + evaluate', value: `${total.toFixed(3)} s`, target: '< 1 s', ok: total < 1 },
    { bench: 'score', metric: `buildRankedList ${CORPUS} docs, first call (one-time repeated-id scan)`, value: `${(firstCallSeconds * 1000).toFixed(1)} ms` },
    { bench: 'score', metric: `buildRankedList ${CORPUS} docs, depth 1000`, value: `${perQueryMs.toFixed(1)} ms/query`, target: '< 20 ms/query', ok: perQueryMs < 20 },
  ];
}

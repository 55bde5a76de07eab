#!/usr/bin/env node
/**
 * Regenerates the CI regression benchmark's data (run: `node tools/make-ci-bench.mjs [examples-dir] [out-dir]`):
 * test/fixtures/ci-bench/data/{examples,documents}/<task>-00000-of-00001.parquet, a `--data-dir` tree.
 *
 * examples: the real BRIGHT rows of three tasks, one per group (all 7 columns, HF row order) from ../shared/bright/examples.
 * documents: synthetic, because the real corpora are not available here. Every id the rows reference (gold and
 * excluded) becomes a document, plus two distractors per query:
 *   - a gold document of query q holds one passage of q's own answer text (its gold_answer paragraphs, or the query's
 *     sentences where gold_answer is N/A), the reasoning field when it is a real sentence, and a passage of another
 *     query, so BM25 finds some gold documents and misses others;
 *   - an excluded document holds the query's first passage, so it would rank first if exclusions were not applied;
 *   - a distractor holds a passage of another query, ids `distractor/<task>/<query index>_<k>.txt`.
 * Everything is chosen by index arithmetic (no randomness), so re-running writes identical files.
 *
 * BRIGHT data: Su et al., "BRIGHT: A Realistic and Challenging Benchmark for Reasoning-Intensive Retrieval",
 * ICLR 2025, https://huggingface.co/datasets/xlangai/BRIGHT, licence CC-BY-4.0. The documents are derived from it.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { brightColumns, writeBrightParquet } from './bright-parquet.mjs';

export const CI_TASKS = ['biology', 'leetcode', 'theoremqa_theorems'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = process.argv[2] ?? path.resolve(root, '..', 'shared', 'bright', 'examples');
const out = path.resolve(process.argv[3] ?? path.join(root, 'test', 'fixtures', 'ci-bench', 'data'));

function readExamples(task) {
  const text = gunzipSync(readFileSync(path.join(examplesDir, `${task}.jsonl.gz`))).toString('utf8');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

const PLACEHOLDERS = new Set(['N/A', 'empty', '']);

/** Passages of at most ~400 characters: answer paragraphs, or the query's sentences. */
function passages(row) {
  const source = PLACEHOLDERS.has(row.gold_answer.trim()) ? row.query : row.gold_answer.replace(/\$\\begingroup\$/g, '');
  const pieces = source.split(/\n\s*\n|(?<=[.?!])\s+/).map((piece) => piece.trim()).filter((piece) => piece.length > 20);
  const merged = [];
  for (const piece of pieces.length > 0 ? pieces : [source.trim()]) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.length + piece.length < 400) merged[merged.length - 1] = `${last} ${piece}`;
    else merged.push(piece.slice(0, 600));
  }
  return merged;
}

function documentsFor(task, rows) {
  const pools = rows.map(passages);
  const documents = new Map();
  const add = (id, content) => {
    if (id !== 'N/A' && !documents.has(id)) documents.set(id, content);
  };
  rows.forEach((row, i) => {
    const pool = pools[i];
    const reasoning = PLACEHOLDERS.has(row.reasoning.trim()) || row.reasoning.length < 25 ? '' : `${row.reasoning.trim()} `;
    row.gold_ids.forEach((id, j) => {
      const other = pools[(i + j + 1) % rows.length];
      add(id, `${j === 0 ? reasoning : ''}${pool[j % pool.length]} ${other[j % other.length]}`);
    });
    for (const id of row.excluded_ids) add(id, pool[0]);
  });
  rows.forEach((_, i) => {
    for (let k = 0; k < 2; k++) {
      const source = pools[(i * 7 + 3 + k) % rows.length];
      add(`distractor/${task}/${i}_${k}.txt`, source[(i + k) % source.length]);
    }
  });
  return [...documents].map(([id, content]) => ({ id, content }));
}

rmSync(out, { recursive: true, force: true });
for (const task of CI_TASKS) {
  const rows = readExamples(task);
  const docs = documentsFor(task, rows);
  for (const [config, columns, data, rowGroupSize] of [
    ['examples', brightColumns.examples, rows, 1000],
    ['documents', brightColumns.documents, docs, 250],
  ]) {
    const filename = path.join(out, config, `${task}-00000-of-00001.parquet`);
    mkdirSync(path.dirname(filename), { recursive: true });
    writeBrightParquet({ filename, columns, rows: data, rowGroupSize });
  }
  process.stderr.write(`${task}: ${rows.length} queries, ${docs.length} documents\n`);
}
process.stderr.write(`wrote ${out}\n`);

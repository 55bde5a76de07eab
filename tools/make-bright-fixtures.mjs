#!/usr/bin/env node
/**
 * Regenerates test/fixtures/bright/data (run: `node tools/make-bright-fixtures.mjs`): the real `examples` rows of
 * pony and leetcode from ../shared/bright/examples, plus small synthetic documents / long_documents / *_reason files
 * that hold every id those rows reference. Laid out at the Hub paths, so the folder works as --data-dir and as the
 * test server's repository tree.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { brightColumns, writeBrightParquet } from './bright-parquet.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = process.argv[2] ?? path.resolve(root, '..', 'shared', 'bright', 'examples');
const out = path.join(root, 'test', 'fixtures', 'bright', 'data');
const variants = ['gpt4', 'claude-3-opus', 'llama3-70b', 'Gemini-1.0', 'grit'];

function readExamples(task) {
  const text = gunzipSync(readFileSync(path.join(examplesDir, `${task}.jsonl.gz`))).toString('utf8');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

function write(config, task, columns, rows, rowGroupSize) {
  const filename = path.join(out, config, `${task}-00000-of-00001.parquet`);
  mkdirSync(path.dirname(filename), { recursive: true });
  writeBrightParquet({ filename, columns, rows, rowGroupSize });
}

/** Synthetic documents: every referenced id plus `extra` distractors, sorted so the order is stable. */
function documents(task, ids, extra) {
  const all = [...new Set(ids)].filter((id) => id !== 'N/A');
  for (let i = 0; i < extra; i++) all.push(`${task}_distractor_${String(i).padStart(3, '0')}.txt`);
  all.sort();
  return all.map((id, index) => ({ id, content: `synthetic ${task} document ${index}: ${id.replace(/[_/.]/g, ' ')}` }));
}

rmSync(out, { recursive: true, force: true });
for (const [task, hasLong, withReason] of [['pony', true, true], ['leetcode', false, false]]) {
  const rows = readExamples(task);
  write('examples', task, brightColumns.examples, rows, 1000);
  const referenced = rows.flatMap((row) => [...row.gold_ids, ...row.excluded_ids]);
  write('documents', task, brightColumns.documents, documents(task, referenced, 20), task === 'pony' ? 25 : 500);
  if (hasLong) write('long_documents', task, brightColumns.documents, documents(task, rows.flatMap((row) => row.gold_ids_long), 5), 10);
  if (withReason) {
    for (const variant of variants) {
      const reasonRows = rows.map((row) => ({ ...row, query: `${variant} reasoning about query ${row.id}: ${row.query.slice(0, 60)}` }));
      write(`${variant}_reason`, task, brightColumns.examples, reasonRows, 1000);
    }
  }
}
process.stderr.write(`wrote ${out}\n`);

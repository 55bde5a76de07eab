import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/eval/ranked-list.js';
import { runOf } from '../helpers/runs.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { parseMeasureList } from '../../src/eval/measure.js';
import { parseTrecQrels } from '../../src/eval/trec-qrels.js';
import { hostManifest, writeTaskFolder } from '../../src/results/results-folder.js';

const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-task-folder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const qrels = parseTrecQrels('q 0 a 1\n', 'qrels');
const measures = parseMeasureList('NDCG@10,MRR');

function folder(run: Run): Parameters<typeof writeTaskFolder>[2] {
  return { run, tag: 'tag', qrels, evaluation: evaluate(run, qrels, measures), measures, manifest: (write_s) => ({ write_s }) };
}

describe('writeTaskFolder', () => {
  it('writes every file of a task, the independent ones together', async () => {
    const out = path.join(dir, 'ok');
    await writeTaskFolder(out, 'biology', folder(runOf({ q: [['a', 2.5], ['b', 1]] })));
    expect(readdirSync(out)).toEqual(['biology']);
    expect(readdirSync(path.join(out, 'biology')).sort()).toEqual(['manifest.json', 'metrics.json', 'per_query.tsv', 'qrels.txt', 'results.json', 'run.trec', 'score.json']);
    expect(readFileSync(path.join(out, 'biology', 'run.trec'), 'utf8')).toBe('q Q0 a 1 2.5 tag\nq Q0 b 2 1 tag\n');
    expect(readFileSync(path.join(out, 'biology', 'qrels.txt'), 'utf8')).toBe('q 0 a 1\n');
  });

  it('reports a writer that fails and leaves neither the task folder nor its staging folder', async () => {
    const out = path.join(dir, 'failing');
    const writing = writeTaskFolder(out, 'biology', folder(runOf({ q: [['a b', 1]] })));
    await expect(writing).rejects.toThrow(/document id \(query q\) "a b" is empty or contains whitespace/);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('hostManifest', () => {
  it("is the machine's facts, read once: each call an equal, separate object", () => {
    const first = hostManifest();
    expect(first).toEqual({ hostname: os.hostname(), platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length, memory_bytes: os.totalmem() });
    const again = hostManifest();
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });
});

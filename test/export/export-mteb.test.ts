import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RankedList, type Run } from '../../src/eval/ranked-list.js';
import { mtebScores } from '../../src/export/mteb-results.js';
import { readRunFile } from '../../src/eval/run-file.js';
import { readQrelsFile } from '../../src/eval/trec-qrels.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures');
const fixtureData = path.join(fixtures, 'bright', 'data');
/** A real MTEB retrieval result file and model_meta.json from embeddings-benchmark/results (see its README). */
const realResult = JSON.parse(readFileSync(path.join(fixtures, 'mteb', 'AppsRetrieval.json'), 'utf8')) as Record<string, unknown>;
const realMeta = JSON.parse(readFileSync(path.join(fixtures, 'mteb', 'model_meta.json'), 'utf8')) as Record<string, unknown>;
const realEntry = (Object.values(realResult.scores as Record<string, unknown[]>)[0]![0]) as Record<string, unknown>;

// Python's json writes an undefined nAUC (a constant metric) as NaN, as MTEB's own files do
const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : value === 'NaN' ? 'number' : typeof value);
const parsePythonJson = (text: string) => JSON.parse(text.replace(/: NaN([,\n])/g, ': "NaN"$1')) as Record<string, unknown>;

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-export-'));
  for (const [name, extra] of [['short', []], ['long', ['--long']]] as const) {
    const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', path.join(work, name), ...extra], { env: { REASONIR_CACHE: path.join(work, 'cache') } });
    expect(result.code, result.stderr).toBe(0);
  }
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function exported(name: string): Promise<Record<string, Record<string, unknown>>> {
  const out = path.join(work, `mteb-${name}`);
  const result = await runReasonir(['export', path.join(work, name), '--format', 'mteb', '--out', out, '--model-name', 'org/model', '--model-revision', 'abc123']);
  expect(result.stderr).not.toContain('internal error');
  expect(result.code, result.stderr).toBe(0);
  const folder = path.join(out, 'org__model', 'abc123');
  const files: Record<string, Record<string, unknown>> = {};
  for (const file of await fs.readdir(folder)) files[file] = parsePythonJson(await fs.readFile(path.join(folder, file), 'utf8')) as Record<string, unknown>;
  return files;
}

describe('export --format mteb', () => {
  it('writes the legacy and per-domain task files with the structure of a real MTEB result file', async () => {
    const files = await exported('short');
    expect(Object.keys(files).sort()).toEqual(['BrightPonyRetrieval.json', 'BrightRetrieval.json', 'model_meta.json']);
    for (const name of ['BrightRetrieval.json', 'BrightPonyRetrieval.json']) {
      const file = files[name]!;
      expect(Object.keys(file)).toEqual(Object.keys(realResult));
      for (const key of Object.keys(realResult)) {
        if (key === 'kg_co2_emissions') expect(['number', 'null']).toContain(typeOf(file[key]));
        else expect(typeOf(file[key]), key).toBe(typeOf(realResult[key]));
      }
      const [split] = Object.keys(file.scores as object);
      expect(split).toBe('standard');
      const entry = (file.scores as Record<string, Array<Record<string, unknown>>>).standard![0]!;
      const wanted = Object.keys(realEntry);
      expect(wanted.filter((key) => !(key in entry))).toEqual([]);
      for (const key of wanted) expect(typeOf(entry[key]), key).toBe(typeOf(realEntry[key]));
      // nothing beyond what MTEB's evaluator writes: the real file's keys, plus hit_rate_at_k and accuracy of newer versions
      expect(Object.keys(entry).filter((key) => !(key in realEntry) && !key.startsWith('hit_rate_at_') && key !== 'accuracy')).toEqual([]);
      expect(Object.keys(entry)).toEqual([...Object.keys(entry)].sort());
      expect(entry.main_score).toBe(entry.ndcg_at_10);
      expect(entry.accuracy).toBe(entry.recall_at_1);
      expect(entry.languages).toEqual(['eng-Latn']);
    }
    expect((files['BrightRetrieval.json']!.scores as Record<string, Array<Record<string, unknown>>>).standard![0]!.hf_subset).toBe('pony');
    expect((files['BrightPonyRetrieval.json']!.scores as Record<string, Array<Record<string, unknown>>>).standard![0]!.hf_subset).toBe('default');
    expect(files['BrightRetrieval.json']!.task_name).toBe('BrightRetrieval');
    expect(Object.keys(files['model_meta.json']!)).toEqual(Object.keys(realMeta));
    expect(files['model_meta.json']).toMatchObject({ name: 'org/model', revision: 'abc123' });
  });

  it('long-document runs: split "long", BrightLongRetrieval keeps ndcg_at_10, Bright<Domain>LongRetrieval scores recall_at_1', async () => {
    const files = await exported('long');
    expect(Object.keys(files).sort()).toEqual(['BrightLongRetrieval.json', 'BrightPonyLongRetrieval.json', 'model_meta.json']);
    const entry = (name: string) => (files[name]!.scores as Record<string, Array<Record<string, unknown>>>).long![0]!;
    expect(entry('BrightLongRetrieval.json').main_score).toBe(entry('BrightLongRetrieval.json').ndcg_at_10);
    expect(entry('BrightPonyLongRetrieval.json').main_score).toBe(entry('BrightPonyLongRetrieval.json').recall_at_1);
  });

  it('refuses to overwrite an earlier export (exit 2) and a folder without qrels.txt (exit 3)', async () => {
    const again = await runReasonir(['export', path.join(work, 'short'), '--format', 'mteb', '--out', path.join(work, 'mteb-short'), '--model-name', 'org/model', '--model-revision', 'abc123']);
    expect(again.code).toBe(2);
    const old = path.join(work, 'old');
    await fs.cp(path.join(work, 'short'), old, { recursive: true });
    await fs.rm(path.join(old, 'pony', 'qrels.txt'));
    const missing = await runReasonir(['export', old, '--format', 'mteb', '--out', path.join(work, 'mteb-old')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('qrels.txt');
  });

  it('values are pytrec_eval means rounded as MTEB rounds them (equal to the trec_eval 9.0.8 golden aggregates); nAUC equals numpy\'s', async () => {
    const dir = path.join(fixtures, 'trec_eval', 'p01_biology_random_scores');
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { aggregate_bright_rounded: Record<string, number> };
    const entry = mtebScores({ task: 'biology', run: await readRunFile(path.join(dir, 'run.txt.gz')), qrels: await readQrelsFile(path.join(dir, 'qrels.txt')), seconds: 0 }, 'default', 'ndcg_at_10');
    const nauc = JSON.parse(readFileSync(path.join(fixtures, 'mteb', 'nauc-p01.json'), 'utf8')) as { nauc: Record<string, number> };
    for (const [name, value] of Object.entries(nauc.nauc)) expect(entry.get(name), name).toBe(value);
    for (const k of [1, 5, 10, 100]) {
      expect(entry.get(`ndcg_at_${k}`)).toBe(expected.aggregate_bright_rounded[`NDCG@${k}`]);
      expect(entry.get(`map_at_${k}`)).toBe(expected.aggregate_bright_rounded[`MAP@${k}`]);
      expect(entry.get(`recall_at_${k}`)).toBe(expected.aggregate_bright_rounded[`Recall@${k}`]);
      expect(entry.get(`precision_at_${k}`)).toBe(expected.aggregate_bright_rounded[`P@${k}`]);
    }
  });

  it('mrr_at_k follows MTEB\'s own loop: score-sorted, ties in the run\'s order, unrounded', () => {
    const docs = (pairs: Array<[string, number]>): RankedList => RankedList.of(pairs.map(([docId]) => docId), pairs.map(([, score]) => score));
    // trec_eval would put "b" before "a" (docid descending); MTEB's stable sort keeps a first
    const run: Run = new Map([['q1', docs([['a', 1], ['b', 1], ['c', 0.5]])], ['q2', docs([['x', 2], ['y', 3]])]]);
    const qrels = new Map([['q1', new Map([['b', 1]])], ['q2', new Map([['x', 1]])]]);
    const entry = mtebScores({ task: 't', run, qrels, seconds: 0 }, 'default', 'ndcg_at_10');
    expect(entry.get('mrr_at_1')).toBe(0);
    expect(entry.get('mrr_at_3')).toBe((1 / 2 + 1 / 2) / 2);
    expect(entry.get('hit_rate_at_1')).toBe(0.5);
  });
});

describe('export --format bright', () => {
  it('writes outputs/{task}_{model}_long_{lc}/score.json and results.json byte for byte', async () => {
    const out = path.join(work, 'bright');
    const result = await runReasonir(['export', path.join(work, 'short'), '--format', 'bright', '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const folder = path.join(out, 'outputs', 'pony_bm25_long_False');
    for (const file of ['score.json', 'results.json']) {
      expect(await fs.readFile(path.join(folder, file), 'utf8')).toBe(await fs.readFile(path.join(work, 'short', 'pony', file), 'utf8'));
    }
  });
});

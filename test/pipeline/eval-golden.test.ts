import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { fixturesRoot, runReasonir } from '../helpers/cli.js';

/**
 * `reasonir eval` end to end against BRIGHT's own BM25 (test/fixtures/bm25, copied from golden/bm25: gensim + Lucene run through
 * `retrieval_bm25`): the golden corpus and queries become a --data-dir task, and the run that eval writes must be
 * the reference run line for line (same documents, order and float32 scores), its metrics the reference metrics.
 */
const golden = path.join(fixturesRoot, 'bm25');
const readJsonLines = <T>(file: string): T[] =>
  (file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);

describe('reasonir eval reproduces the golden BRIGHT BM25 run', () => {
  let work: string;
  let outDir: string;
  let cacheDir: string;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-eval-golden-'));
    const dataDir = path.join(work, 'data');
    outDir = path.join(work, 'out');
    cacheDir = path.join(work, 'cache');
    const corpus = readJsonLines<{ id: string; content: string }>(path.join(golden, 'corpus.jsonl.gz'));
    const queries = readJsonLines<{ id: string; query: string; excluded_ids: string[] }>(path.join(golden, 'queries.jsonl'));
    const gold = new Map<string, string[]>();
    for (const line of readFileSync(path.join(golden, 'qrels.txt'), 'utf8').split('\n')) {
      const [qid, , docid] = line.split(' ');
      if (qid && docid) gold.set(qid, [...(gold.get(qid) ?? []), docid]);
    }
    await fs.mkdir(path.join(dataDir, 'documents'), { recursive: true });
    await fs.mkdir(path.join(dataDir, 'examples'), { recursive: true });
    writeBrightParquet({
      filename: path.join(dataDir, 'documents', 'biology-00000-of-00001.parquet'),
      columns: { id: 'string', content: 'string' },
      rows: corpus,
      rowGroupSize: 1000,
    });
    writeBrightParquet({
      filename: path.join(dataDir, 'examples', 'biology-00000-of-00001.parquet'),
      columns: {
        query: 'string', reasoning: 'string', id: 'string', excluded_ids: 'string[]',
        gold_ids_long: 'string[]', gold_ids: 'string[]', gold_answer: 'string',
      },
      rows: queries.map((query) => ({
        query: query.query,
        reasoning: 'N/A',
        id: query.id,
        excluded_ids: query.excluded_ids,
        gold_ids_long: ['N/A'],
        gold_ids: gold.get(query.id) ?? [],
        gold_answer: 'N/A',
      })),
    });
    const result = await runReasonir(['eval', '--task', 'biology', '--data-dir', dataDir, '--out', outDir, '--json'], {
      env: { REASONIR_CACHE: cacheDir },
    });
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(0);
  });

  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('writes exactly the reference run: documents, order and scores', async () => {
    const expected = gunzipSync(readFileSync(path.join(golden, 'run.trec.gz'))).toString('utf8').trim().split('\n');
    const actual = (await fs.readFile(path.join(outDir, 'biology', 'run.trec'), 'utf8')).trim().split('\n');
    const columns = (line: string) => {
      const [qid, , docid, rank, score] = line.split(/\s+/);
      return `${qid} ${docid} ${rank} ${Number(score)}`;
    };
    expect(actual.length).toBe(expected.length);
    const mismatches = actual.filter((line, i) => columns(line) !== columns(expected[i]!));
    expect(mismatches).toEqual([]);
  });

  it('score.json keeps BRIGHT rank order and the float32 scores', async () => {
    const scores = JSON.parse(await fs.readFile(path.join(outDir, 'biology', 'score.json'), 'utf8')) as Record<string, Record<string, number>>;
    expect(Object.keys(scores)).toHaveLength(63);
    for (const docScores of Object.values(scores)) {
      const values = Object.values(docScores);
      expect(values.every((value) => Math.fround(value) === value)).toBe(true);
      expect(values.every((value, i) => i === 0 || values[i - 1]! >= value)).toBe(true);
    }
  });

  it('scores the queries with judgments exactly like BRIGHT', async () => {
    const expected = JSON.parse(readFileSync(path.join(golden, 'expected_metrics.json'), 'utf8')) as {
      per_query: Record<string, Record<string, number>>;
      aggregate_full_precision: Record<string, number>;
    };
    const metrics = JSON.parse(await fs.readFile(path.join(outDir, 'biology', 'metrics.json'), 'utf8')) as {
      per_query: Record<string, Record<string, number>>;
      aggregate: Record<string, number>;
    };
    // queries without gold ids are not judged, as in a qrels file: the mean is over the 46 judged ones
    // BRIGHT's 25 measures, bit for bit (eval also scores Recall@1000, which the reference does not have)
    const brightMeasures = Object.fromEntries(Object.keys(expected.aggregate_full_precision).map((name) => [name, metrics.aggregate[name]]));
    expect(brightMeasures).toEqual(expected.aggregate_full_precision);
    const bright = (name: string) =>
      name
        .replace(/^ndcg_cut_(\d+)$/, 'NDCG@$1')
        .replace(/^map_cut_(\d+)$/, 'MAP@$1')
        .replace(/^recall_(\d+)$/, 'Recall@$1')
        .replace(/^P_(\d+)$/, 'P@$1')
        .replace(/^recip_rank$/, 'MRR');
    let compared = 0;
    for (const [qid, values] of Object.entries(expected.per_query)) {
      for (const [name, value] of Object.entries(values)) {
        expect(metrics.per_query[qid]?.[bright(name)], `${qid} ${name}`).toBe(value);
        compared++;
      }
    }
    expect(compared).toBe(46 * 25);
  });

  it('records provenance in the manifest and summary', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(outDir, 'biology', 'manifest.json'), 'utf8'));
    expect(manifest.dataset.revision).toBe('local');
    expect(manifest.retriever).toMatchObject({ name: 'bm25', parameters: { k1: 0.9, b: 0.4 } });
    expect(manifest.dataset.files.map((file: { path: string }) => file.path).sort()).toEqual([
      'documents/biology-00000-of-00001.parquet',
      'examples/biology-00000-of-00001.parquet',
    ]);
    expect(manifest.dataset.files.every((file: { sha256: string }) => /^[0-9a-f]{64}$/.test(file.sha256))).toBe(true);
    const summary = JSON.parse(await fs.readFile(path.join(outDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ retriever: 'bm25', queries: 'original', long: false, headline: 'NDCG@10' });
    expect(summary.tasks.biology.num_queries).toBe(46);
  });
});

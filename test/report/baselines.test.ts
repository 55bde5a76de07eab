import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBaselineFor, loadBaselineFile, loadPublishedBaselines, parseBaselineFile, selectBaselines, type BaselineRow } from '../../src/report/baseline.js';
import { HarnessError } from '../../src/core/errors.js';
import { buildComparisonTable } from '../../src/report/comparison-table.js';
import { fixturesRoot, repoRoot } from '../helpers/cli.js';
import { testDir } from '../helpers/test-dir.js';

const publishedScores = path.join(fixturesRoot, 'bright', 'published-scores.json');

const TASKS = [
  'biology', 'earth_science', 'economics', 'psychology', 'robotics', 'stackoverflow', 'sustainable_living',
  'leetcode', 'pony', 'aops', 'theoremqa_questions', 'theoremqa_theorems',
];

function cells(row: BaselineRow, measure = 'NDCG@10'): number[] {
  return TASKS.map((task) => row.measures[measure]!.tasks[task]!);
}

describe('published baselines (configs/baselines)', () => {
  it('parse, have unique names, provenance on every row and at most one default per setting', async () => {
    const rows = await loadPublishedBaselines();
    expect(rows.length).toBe(13 + 1 + 65 + 13 + 10 + 9 + 6 + 4);
    expect(new Set(rows.map((row) => row.name)).size).toBe(rows.length);
    const defaults = new Map<string, string>();
    for (const row of rows) {
      expect(row.provenance.source.length).toBeGreaterThan(10);
      if (!row.default) continue;
      const key = JSON.stringify([row.setting.retriever, row.setting.model, row.setting.queries, row.setting.long, row.setting.reranker ?? null]);
      expect(defaults.get(key), `${row.name} and ${defaults.get(key)} are both defaults`).toBeUndefined();
      defaults.set(key, row.name);
    }
  });

  it('holds the BRIGHT BM25 row and the GPT-4 reasoning row as printed in the papers (SPEC §3.9)', async () => {
    const rows = await loadPublishedBaselines();
    const [bm25, gpt4] = selectBaselines(rows, ['bright-bm25', 'bright-bm25-gpt4']);
    expect(cells(bm25!)).toEqual([18.9, 27.2, 14.9, 12.5, 13.6, 18.4, 15.0, 24.4, 7.9, 6.2, 10.4, 4.9]);
    expect(bm25!.measures['NDCG@10']!.avg).toBe(14.5);
    expect(cells(gpt4!)).toEqual([53.6, 54.1, 24.3, 38.7, 18.9, 27.7, 26.3, 19.3, 17.6, 3.9, 19.2, 20.8]);
    expect(gpt4!.measures['NDCG@10']!.avg).toBe(27.0);
  });

  it('holds the ReasonIR headline averages 24.4 / 29.9 / 36.9 and the pyserini BM25 row on the 0-1 scale', async () => {
    const rows = await loadPublishedBaselines();
    const picked = selectBaselines(rows, ['reasonir-original', 'reasonir-gpt4', 'reasonir-gpt4-rerank', 'pyserini-bm25', 'leaderboard-long-bm25']);
    expect(picked.slice(0, 3).map((row) => row.measures['NDCG@10']!.avg)).toEqual([24.4, 29.9, 36.9]);
    expect(picked[3]).toMatchObject({ scale: 1, decimals: 4 });
    expect(cells(picked[3]!)).toEqual([0.1824, 0.2791, 0.1645, 0.1342, 0.1091, 0.1626, 0.1613, 0.2471, 0.0434, 0.0645, 0.0733, 0.0214]);
    expect(picked[4]!.measures['Recall@1']).toEqual({ tasks: {}, avg: 11.4 });
  });

  it('holds the ReasonIR paper\'s reranker baselines as SPEC §5.4 transcribes them, never a default', async () => {
    const rows = await loadPublishedBaselines();
    const picked = selectBaselines(rows, ['reasonir-paper-rankllama-7b-gpt4', 'reasonir-paper-rank1-7b-gpt4', 'reasonir-paper-rank1-32b-gpt4']);
    expect(picked.map((row) => cells(row))).toEqual([
      [17.5, 15.5, 13.1, 13.6, 17.9, 6.9, 16.9, 8.4, 46.8, 2.2, 4.5, 3.5],
      [48.8, 36.7, 20.8, 35.0, 22.0, 18.7, 36.2, 12.7, 31.2, 6.3, 23.7, 37.8],
      [49.7, 35.8, 22.0, 37.5, 22.5, 21.7, 35.0, 18.8, 32.5, 10.8, 22.9, 43.7],
    ]);
    expect(picked.map((row) => row.measures['NDCG@10']!.avg)).toEqual([13.9, 27.5, 29.4]);
    expect(picked.every((row) => !row.default && row.setting.reranker !== undefined && row.setting.queries === 'gpt4')).toBe(true);
  });

  it('picks the default published row for a run setting', async () => {
    const rows = await loadPublishedBaselines();
    const pick = (retriever: string, model: string | null, queries: string, long = false) =>
      defaultBaselineFor({ retriever, model, queries, long }, rows)?.name ?? null;
    expect(pick('bm25', null, 'original')).toBe('bright-bm25');
    expect(pick('bm25', null, 'gpt4')).toBe('bright-bm25-gpt4');
    expect(pick('bm25', null, 'claude-3-opus')).toBe('leaderboard-bm25-claude-3-opus');
    expect(pick('dense', 'reasonir', 'gpt4')).toBe('reasonir-gpt4');
    expect(pick('dense', 'reasonir', 'original')).toBe('reasonir-original');
    expect(pick('dense', 'BAAI/bge-large-en-v1.5', 'original')).toBe('bright-bge');
    expect(pick('dense', 'bge', 'original')).toBe('bright-bge');
    expect(pick('bm25', null, 'original', true)).toBe('leaderboard-long-bm25');
    expect(pick('dense', 'my-own-model', 'original')).toBeNull();
  });

  it('has a default row for `eval --model <config>` of every model config the papers published (summary.json records the config name)', async () => {
    const rows = await loadPublishedBaselines();
    const configs = readdirSync(path.join(repoRoot, 'configs', 'models')).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)).sort();
    const picked = Object.fromEntries(
      configs.map((config) => [config, defaultBaselineFor({ retriever: 'dense', model: config, queries: 'original', long: false }, rows)?.name ?? null]),
    );
    // qwen2 (gte-Qwen2-7B-instruct) is supported by BRIGHT's code but is not in the paper's table; no BRIGHT number
    // of Qwen3-Embedding-8B could be established; ReasonEmbed's numbers are an average only (8B) or a Pyserini
    // reproduction, not a default row (4B)
    expect(picked).toEqual({
      bge: 'bright-bge', e5: 'bright-e5', grit: 'bright-gritlm', 'inst-l': 'bright-inst-l', 'inst-xl': 'bright-inst-xl', qwen: 'bright-qwen',
      qwen2: null, 'qwen3-embedding': null, 'reason-embed-qwen3-4b-0928': null, 'reason-embed-qwen3-8b': null, reasonir: 'reasonir-original', sbert: 'bright-sbert', sfr: 'bright-sfr',
    });
    expect(defaultBaselineFor({ retriever: 'dense', model: 'sfr', queries: 'gpt4', long: false }, rows)?.name).toBe('leaderboard-sfr-gpt4');
    expect(defaultBaselineFor({ retriever: 'dense', model: 'sfr', queries: 'original', long: true }, rows)?.name).toBe('leaderboard-long-sfr');
  });

  it('names an unknown baseline with suggestions (usage error)', async () => {
    const rows = await loadPublishedBaselines();
    expect(() => selectBaselines(rows, ['bm25'])).toThrowError(/unknown baseline "bm25": did you mean .*bright-bm25/);
    try {
      selectBaselines(rows, ['nope']);
    } catch (error) {
      expect((error as HarnessError).exitCode).toBe(2);
    }
  });

  it('rejects malformed baseline files with the field that is wrong', () => {
    expect(() => parseBaselineFile({ format: 'other', rows: [] }, 'x.json')).toThrowError(/x.json: "format" must be "reasonir-baseline\/1"/);
    const row = { name: 'r', label: 'R', setting: { retriever: 'bm25', model: null, queries: 'original', long: false }, default: false, scale: 1, decimals: null, measures: { 'NDCG@10': { tasks: { biology: 'high' }, avg: null } }, provenance: { source: 's' } };
    expect(() => parseBaselineFile({ format: 'reasonir-baseline/1', rows: [row] }, 'y.json')).toThrowError(/y.json: r.NDCG@10.biology must be a number/);
  });

  it('are exactly what tools/generate-baselines.mjs makes of published-scores.json (test/fixtures/bright)', () => {
    const out = testDir('baselines');
    const result = spawnSync(process.execPath, [path.join(repoRoot, 'tools', 'generate-baselines.mjs'), publishedScores, out], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const committed = path.join(repoRoot, 'configs', 'baselines');
    const generated = readdirSync(out).sort();
    expect(generated).toEqual(readdirSync(committed).filter((name) => name.endsWith('.json')).sort());
    for (const name of generated) expect(readFileSync(path.join(out, name), 'utf8'), name).toBe(readFileSync(path.join(committed, name), 'utf8'));
  });

  it('tabulates the long-document setting over its 8 tasks, average only', async () => {
    const table = buildComparisonTable([], selectBaselines(await loadPublishedBaselines(), ['leaderboard-long-bm25', 'leaderboard-long-qwen']));
    expect(table.measure).toBe('Recall@1');
    expect(table.columns.map((column) => column.task)).toEqual([
      'biology', 'earth_science', 'economics', 'psychology', 'robotics', 'stackoverflow', 'sustainable_living', 'pony',
    ]);
    expect(table.rows.map((row) => [row.avg, row.avgCovers])).toEqual([[11.4, 8], [27.8, 8]]);
  });
});

describe('loadPublishedBaselines on a folder', () => {
  const copy = (from: string, to: string) => writeFileSync(to, readFileSync(path.join(repoRoot, 'configs', 'baselines', from)));

  it('reads the files together and keeps file-name then row order (a large first file read last or first alike)', async () => {
    const dir = testDir('baselines');
    copy('bright-leaderboard-reasoning.json', path.join(dir, 'a.json'));
    copy('bright-gpt4-reasoning.json', path.join(dir, 'b.json'));
    copy('bright-paper.json', path.join(dir, 'c.json'));
    writeFileSync(path.join(dir, 'notes.md'), 'not a baseline file');
    const expected = [];
    for (const name of ['a.json', 'b.json', 'c.json']) expected.push(...(await loadBaselineFile(path.join(dir, name))).rows.map((row) => row.name));
    expect(expected.length).toBeGreaterThan(70);
    expect((await loadPublishedBaselines(dir)).map((row) => row.name)).toEqual(expected);
  });

  it('reports the first failing file in name order, whichever fails first', async () => {
    const dir = testDir('baselines');
    copy('bright-gpt4-reasoning.json', path.join(dir, 'a.json'));
    // b.json fails late (a long file that is not JSON at its end), c.json at once (a folder cannot be read)
    writeFileSync(path.join(dir, 'b.json'), `[${'1,'.repeat(4_000_000)}`);
    mkdirSync(path.join(dir, 'c.json'));
    const error = await loadPublishedBaselines(dir).then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as Error).message).toContain(`${path.join(dir, 'b.json')} is not valid JSON`);
  });
});

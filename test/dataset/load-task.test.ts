import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { brightColumns, writeBrightParquet } from '../../tools/bright-parquet.mjs';
import type { BrightRow } from '../../tools/bright-parquet.mjs';
import { loadTask } from '../../src/dataset/load-task.js';
import { readStoredUtf8 } from '../../src/dataset/parquet-texts.js';
import { Utf8Sink } from '../../src/dataset/utf8-values.js';
import { HarnessError } from '../../src/core/errors.js';
import type { CorpusFileInfo, CorpusSource } from '../../src/core/types.js';
import { fixturesRoot } from '../helpers/cli.js';
import type { HfServer } from '../helpers/hf-server.js';
import { brightServer, fixtureCommit, fixtureData, hubEnvironment, tempDir } from './support.js';

interface ExampleJson {
  id: string;
  query: string;
  excluded_ids: string[];
  gold_ids: string[];
  gold_ids_long: string[];
}

async function textsOf(corpus: CorpusSource, from?: number): Promise<string[]> {
  const texts: string[] = [];
  for await (const batch of corpus.texts({ from })) {
    expect(batch.start).toBe((from ?? 0) + texts.length);
    texts.push(...batch.texts);
  }
  return texts;
}

/** The golden rows: BRIGHT examples as published (copied into test/fixtures/bright/examples). */
function goldenExamples(task: string): ExampleJson[] {
  const text = gunzipSync(readFileSync(path.join(fixturesRoot, 'bright', 'examples', `${task}.jsonl.gz`))).toString('utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as ExampleJson);
}

const expectedQueries = (task: string) =>
  goldenExamples(task).map((row) => ({
    id: row.id,
    text: row.query,
    goldIds: row.gold_ids,
    goldIdsLong: row.gold_ids_long.length === 1 && row.gold_ids_long[0] === 'N/A' ? [] : row.gold_ids_long,
    excludedIds: row.excluded_ids.filter((id) => id !== 'N/A'),
  }));

describe('loadTask from the Hub (test server)', () => {
  let server: HfServer;
  let cache: { dir: string; remove: () => void };
  beforeAll(async () => {
    server = await brightServer();
    cache = tempDir('load');
  });
  afterAll(async () => {
    await server.close();
    cache.remove();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const stubHub = () => {
    for (const [name, value] of Object.entries(hubEnvironment(server, cache.dir))) vi.stubEnv(name, value);
  };

  it('loads pony exactly: queries equal the published examples, corpus in HF row order, files recorded', async () => {
    stubHub();
    const loaded = await loadTask({ task: 'pony', revision: 'main' });
    expect(loaded.revision).toBe(fixtureCommit);
    expect(loaded.repo).toBe('xlangai/BRIGHT');
    expect(loaded.queries).toEqual(expectedQueries('pony'));
    const documentsFile = path.join(fixtureData, 'documents', 'pony-00000-of-00001.parquet');
    const corpusSha = createHash('sha256').update(readFileSync(documentsFile)).digest('hex');
    expect(loaded.corpusSha256).toBe(corpusSha);
    expect(loaded.files.map((file) => [file.config, file.path])).toEqual([
      ['examples', 'examples/pony-00000-of-00001.parquet'],
      ['documents', 'documents/pony-00000-of-00001.parquet'],
    ]);
    expect(loaded.corpus.ids).toHaveLength(63);
    // fixture documents are sorted by id and spread over 3 row groups: order must survive
    const ids = loaded.corpus.ids.strings();
    expect([...ids].sort()).toEqual(ids);
    const texts = await textsOf(loaded.corpus);
    expect(texts).toHaveLength(63);
    expect(texts[0]).toBe(`synthetic pony document 0: ${ids[0]!.replace(/[_/.]/g, ' ')}`);
    // from a row: the stream starts exactly there, whatever row group holds it, and each batch is one row group
    for (const from of [0, 1, 20, 21, 22, 62]) expect(await textsOf(loaded.corpus, from)).toEqual(texts.slice(from));
    const batches: Array<[number, number]> = [];
    for await (const batch of loaded.corpus.texts()) batches.push([batch.start, batch.texts.length]);
    expect(batches.length).toBe(3);
    // where the texts are stored, for threads that decode their own row groups: the same texts, row group by row group
    const stored = loaded.corpus.stored!;
    expect([stored.path, stored.label, stored.column, stored.rows]).toEqual([loaded.files[1]!.localPath, 'documents/pony-00000-of-00001.parquet', 'content', 63]);
    expect(stored.groups.map((group) => [group.rowStart, group.rows])).toEqual(batches);
    const sink = new Utf8Sink();
    const storedTexts = async (first: number, end: number) => {
      const { bytes, offsets } = await readStoredUtf8(stored, first, end, sink);
      return Array.from({ length: offsets.length - 1 }, (_, i) => Buffer.from(bytes.subarray(offsets[i]!, offsets[i + 1]!)).toString('utf8'));
    };
    for (const [index, [start, rows]] of batches.entries()) expect(await storedTexts(index, index + 1)).toEqual(texts.slice(start, start + rows));
    expect(await storedTexts(1, 3)).toEqual(texts.slice(batches[1]![0]));
    expect(loaded.warnings).toEqual([
      'documents/pony-00000-of-00001.parquet: 63 rows at revision f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1, 7894 at the pinned revision 3066d29; scores are not comparable with published ones',
    ]);
  });

  it('loads reasoning queries with the examples judgments, and the long corpus', async () => {
    stubHub();
    const loaded = await loadTask({ task: 'pony', revision: fixtureCommit, queries: 'Gemini-1.0', long: true });
    const expected = expectedQueries('pony');
    expect(loaded.queries.map((query) => query.id)).toEqual(expected.map((query) => query.id));
    expect(loaded.queries[3]!.text).toBe(`Gemini-1.0 reasoning about query ${expected[3]!.id}: ${expected[3]!.text.slice(0, 60)}`);
    expect(loaded.queries.map((query) => query.goldIdsLong)).toEqual(expected.map((query) => query.goldIdsLong));
    expect(loaded.files.map((file) => file.config)).toEqual(['examples', 'long_documents', 'Gemini-1.0_reason']);
    expect(loaded.corpus.ids).toHaveLength(22);
  });

  it('loads leetcode with its real exclusions (the only kind of task that has them)', async () => {
    stubHub();
    const loaded = await loadTask({ task: 'leetcode', revision: fixtureCommit });
    expect(loaded.queries).toEqual(expectedQueries('leetcode'));
    expect(loaded.queries.reduce((sum, query) => sum + query.excludedIds.length, 0)).toBeGreaterThan(1000);
  });

  it('refuses the long setting for tasks without long documents (exit 2)', async () => {
    stubHub();
    await expect(loadTask({ task: 'leetcode', long: true, revision: fixtureCommit })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('leetcode has no long-document corpus'),
    });
  });
});

describe('loadTask from --data-dir, and data validation', () => {
  let work: { dir: string; remove: () => void };
  beforeAll(() => {
    work = tempDir('validate');
  });
  afterAll(() => work.remove());

  it('reads the same relative paths from a folder; revision "local"', async () => {
    const loaded = await loadTask({ task: 'pony', dataDir: fixtureData, queries: 'grit' });
    expect(loaded.revision).toBe('local');
    expect(loaded.queries.map((query) => query.id)).toEqual(expectedQueries('pony').map((query) => query.id));
    expect(loaded.files[0]!.localPath).toBe(path.join(fixtureData, 'examples', 'pony-00000-of-00001.parquet'));
  });

  it('names the missing file when the folder lacks it', async () => {
    await expect(loadTask({ task: 'pony', dataDir: work.dir })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining(`${path.join(work.dir, 'examples', 'pony-00000-of-00001.parquet')} does not exist`),
    });
  });

  /** A data folder with pony's real examples, edited, and a hand-made corpus. */
  function dataDir(name: string, edit: { examples?: (rows: BrightRow[]) => BrightRow[]; documents: Array<[string, string]>; reason?: (rows: BrightRow[]) => BrightRow[] }): string {
    const dir = path.join(work.dir, name);
    const rows = goldenExamples('pony').slice(0, 3).map((row) => ({ ...row }) as unknown as BrightRow);
    const examples = edit.examples ? edit.examples(rows) : rows;
    const write = (config: string, columns: Record<string, 'string' | 'string[]'>, data: BrightRow[]) => {
      mkdirSync(path.join(dir, config), { recursive: true });
      writeBrightParquet({ filename: path.join(dir, config, 'pony-00000-of-00001.parquet'), columns, rows: data, rowGroupSize: 2 });
    };
    write('examples', brightColumns.examples as Record<string, 'string'>, examples);
    write('documents', brightColumns.documents as Record<string, 'string'>, edit.documents.map(([id, content]) => ({ id, content })));
    if (edit.reason) write('gpt4_reason', brightColumns.examples as Record<string, 'string'>, edit.reason(examples.map((row) => ({ ...row }))));
    return dir;
  }
  const allGold = () => [...new Set(goldenExamples('pony').slice(0, 3).flatMap((row) => row.gold_ids))].map((id): [string, string] => [id, `text of ${id}`]);

  it('errors when a query excludes its own gold document (BRIGHT asserts)', async () => {
    const dir = dataDir('overlap', { examples: (rows) => rows.map((row, i) => (i === 1 ? { ...row, excluded_ids: [(row.gold_ids as string[])[0]!] } : row)), documents: allGold() });
    const error = await loadTask({ task: 'pony', dataDir: dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).exitCode).toBe(3);
    expect((error as HarnessError).message).toContain('query "1" excludes its own gold document(s) "Pony/');
  });

  it('errors when an excluded id is not in the corpus (BRIGHT KeyError)', async () => {
    const dir = dataDir('missing-excluded', { examples: (rows) => rows.map((row, i) => (i === 2 ? { ...row, excluded_ids: ['N/A', 'Pony/nowhere.txt'] } : row)), documents: allGold() });
    await expect(loadTask({ task: 'pony', dataDir: dir })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('query "2" excludes 1 id(s) that are not in the corpus ("Pony/nowhere.txt"); BRIGHT would fail with KeyError'),
    });
  });

  it('decodes document ids only; texts are read when the corpus is streamed, and checked then', async () => {
    // the text column is not decoded by loading: a null content goes unnoticed until the texts are read
    const documents = allGold().map(([id, content], i): [string, string] => [id, i === 1 ? (null as unknown as string) : content]);
    const dir = dataDir('ids-only', { documents });
    const loaded = await loadTask({ task: 'pony', dataDir: dir });
    expect(loaded.corpus.ids.strings()).toEqual(documents.map(([id]) => id));
    await expect(textsOf(loaded.corpus)).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('has a null "content"') });

    // the exclusion checks run at load time
    const missing = dataDir('ids-only-missing-excluded', { examples: (rows) => rows.map((row, i) => (i === 2 ? { ...row, excluded_ids: ['Pony/nowhere.txt'] } : row)), documents: allGold() });
    await expect(loadTask({ task: 'pony', dataDir: missing })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('query "2" excludes 1 id(s) that are not in the corpus ("Pony/nowhere.txt")'),
    });
  });

  it('counts gold ids missing from the corpus and duplicate document ids as warnings, keeping every row', async () => {
    const documents = allGold();
    const missing = documents.shift()!;
    documents.push(['Pony/dup.txt', 'first'], ['Pony/dup.txt', 'second']);
    const dir = dataDir('warnings', { documents });
    const loaded = await loadTask({ task: 'pony', dataDir: dir });
    expect(loaded.corpus.ids).toHaveLength(documents.length);
    expect((await textsOf(loaded.corpus)).slice(-2)).toEqual(['first', 'second']);
    expect(loaded.warnings).toContain('pony documents: 1 document id(s) occur more than once ("Pony/dup.txt"); BRIGHT keeps one score per id');
    expect(loaded.warnings.find((warning) => warning.includes('gold id(s)'))).toMatch(new RegExp(`^pony documents: \\d+ gold id\\(s\\) of \\d+ quer(y is|ies are) not in the corpus \\("${missing[0]}"`));
    // the placeholder never leaks into the queries
    expect(loaded.queries.every((query) => !query.excludedIds.includes('N/A'))).toBe(true);
  });

  it('errors when reasoning rows do not match the examples ids', async () => {
    const dir = dataDir('reason', { documents: allGold(), reason: (rows) => rows.map((row, i) => (i === 0 ? { ...row, id: 'other' } : row)) });
    await expect(loadTask({ task: 'pony', dataDir: dir, queries: 'gpt4' })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('gpt4_reason/pony-00000-of-00001.parquet: query ids differ from the examples (1 missing: "0"; 1 extra: "other")'),
    });
  });

  it('uses the examples order and judgments when reasoning rows are shuffled or differ, with warnings', async () => {
    const dir = dataDir('reason-order', { documents: allGold(), reason: (rows) => [rows[2]!, rows[0]!, { ...rows[1]!, gold_ids: [] }] });
    const loaded = await loadTask({ task: 'pony', dataDir: dir, queries: 'gpt4' });
    expect(loaded.queries.map((query) => query.id)).toEqual(['0', '1', '2']);
    expect(loaded.queries[1]!.goldIds.length).toBeGreaterThan(0);
    expect(loaded.warnings).toEqual(
      expect.arrayContaining([
        "gpt4_reason/pony-00000-of-00001.parquet: rows are in a different order than the examples; queries keep the examples' order",
        "gpt4_reason/pony-00000-of-00001.parquet: 1 query has gold/excluded ids that differ from the examples; the examples' judgments are used",
      ]),
    );
  });

  it('errors on duplicate query ids', async () => {
    const dir = dataDir('dup-query', { examples: (rows) => [...rows, rows[0]!], documents: allGold() });
    await expect(loadTask({ task: 'pony', dataDir: dir })).rejects.toMatchObject({ message: expect.stringContaining('query id "0" appears twice (row 3)') });
  });

  it('hands the corpus file to the retriever (onCorpusFile) before it decodes the examples', async () => {
    const copy = path.join(work.dir, 'examples-unreadable');
    cpSync(fixtureData, copy, { recursive: true });
    writeFileSync(path.join(copy, 'examples', 'pony-00000-of-00001.parquet'), 'not a parquet file at all');
    const seen: CorpusFileInfo[] = [];
    await expect(loadTask({ task: 'pony', dataDir: copy, onCorpusFile: (corpus) => seen.push(corpus) })).rejects.toMatchObject({ exitCode: 3, code: 'data.parquet_invalid' });
    const documents = path.join(fixtureData, 'documents', 'pony-00000-of-00001.parquet');
    expect(seen).toEqual([{ sha256: createHash('sha256').update(readFileSync(documents)).digest('hex'), rows: 63, stored: expect.objectContaining({ label: 'documents/pony-00000-of-00001.parquet', rows: 63 }) }]);
  });

  it('a copy of the fixture folder loads identically (sanity of the data-dir path)', async () => {
    const copy = path.join(work.dir, 'copy');
    cpSync(fixtureData, copy, { recursive: true });
    const [a, b] = await Promise.all([loadTask({ task: 'pony', dataDir: copy }), loadTask({ task: 'pony', dataDir: fixtureData })]);
    expect(a.queries).toEqual(b.queries);
    expect(a.corpus.ids.strings()).toEqual(b.corpus.ids.strings());
    expect(await textsOf(a.corpus)).toEqual(await textsOf(b.corpus));
    expect(a.corpusSha256).toBe(b.corpusSha256);
  });
});

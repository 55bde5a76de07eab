/**
 * Stored texts read on another thread (src/dataset/parquet-texts.ts): straight from the column chunks the loader
 * found while the file is as it was, through the loader's own open otherwise; the same texts and the same errors
 * either way, and the direct way loads none of hyparquet's metadata or page modules.
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { chunkReaders, openParquet, type ParquetFile } from '../../src/dataset/parquet.js';
import { readStoredUtf8, storedTexts } from '../../src/dataset/parquet-texts.js';
import { Utf8Sink, type Utf8Texts } from '../../src/dataset/utf8-values.js';
import { type PageColumn, writePagedParquet } from '../helpers/parquet-pages.js';
import { repoRoot } from '../helpers/cli.js';
import { modulesLoadedBy } from '../helpers/modules-loaded.js';
import { tempDir } from './support.js';
import type { StoredTexts } from '../../src/core/types.js';

/** Every text of `file`'s content column as the loader streams it. */
async function loaderTexts(parquet: ParquetFile): Promise<string[]> {
  const texts: string[] = [];
  for await (const batch of parquet.read({ content: 'string' })) texts.push(...batch.columns.content);
  return texts;
}

/** One sink for every call, as a worker keeps one: a call must not see what an earlier one left. */
const sink = new Utf8Sink();

/** Each text's bytes, checked to be well-formed UTF-8 (a fatal decoder throws otherwise). */
function utf8Values({ bytes, offsets }: Utf8Texts): Buffer[] {
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  return Array.from({ length: offsets.length - 1 }, (_, i) => {
    const value = Buffer.from(bytes.subarray(offsets[i]!, offsets[i + 1]!));
    fatal.decode(value);
    return value;
  });
}

/** `readStoredUtf8`'s texts are the texts the loader gives (`expected`), in UTF-8. */
async function expectUtf8(stored: StoredTexts, first: number, end: number, expected: string[]): Promise<void> {
  const got = utf8Values(await readStoredUtf8(stored, first, end, sink));
  expect(got).toEqual(expected.map((text) => Buffer.from(text, 'utf8')));
}

const rowsOf = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `d${i}`, content: i % 7 === 3 ? `caf\u00e9 ${i} \u{1F9EC} \ufeff` : `document ${i} `.repeat(1 + (i % 13)) }));

describe('stored texts, read where the loader found them', () => {
  let work: { dir: string; remove: () => void };
  beforeAll(() => {
    work = tempDir('parquet-texts');
  });
  afterAll(() => work.remove());

  const documents = async (name: string, rows = rowsOf(230), rowGroupSize = 50) => {
    const file = path.join(work.dir, `${name}.parquet`);
    writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string' }, rows, rowGroupSize });
    const parquet = await openParquet(file, { id: 'string', content: 'string' }, `documents/${name}.parquet`);
    return { file, parquet, stored: storedTexts(parquet, 'content') };
  };

  it('decodes every range straight from its chunks, without the loader, the texts the loader gives', async () => {
    const { parquet, stored } = await documents('direct');
    expect(stored.groups.length).toBe(5);
    expect(stored.groups.every((group) => group.chunk !== undefined)).toBe(true);
    const expected = await loaderTexts(parquet);
    const before = { ...chunkReaders };
    await expectUtf8(stored, 0, 5, expected);
    await expectUtf8(stored, 1, 3, expected.slice(50, 150));
    await expectUtf8(stored, 4, 5, expected.slice(200));
    expect(chunkReaders).toEqual(before);
  });

  it('texts larger than their chunks (a dictionary repeating a long text) after a range that sized the memory', async () => {
    // the memory is sized from the chunks' uncompressed bytes, which a repeated dictionary entry exceeds many times
    const long = `a long text repeated by every row, caf\u00e9 `.repeat(200);
    const rows = [...rowsOf(50), ...Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, content: i % 2 === 0 ? long : 'short' }))];
    const { parquet, stored } = await documents('repeated', rows);
    expect(stored.groups[1]!.bytes + stored.groups[2]!.bytes).toBeLessThan(50 * long.length);
    const expected = await loaderTexts(parquet);
    await expectUtf8(stored, 0, 1, expected.slice(0, 50));
    await expectUtf8(stored, 1, 3, expected.slice(50));
    await expectUtf8(stored, 0, 3, expected);
  });

  it('a file modified since it was opened is opened again as the loader does: the same texts when it holds them', async () => {
    const { file, parquet, stored } = await documents('touched');
    const expected = await loaderTexts(parquet);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const own = chunkReaders.own;
    await expectUtf8(stored, 0, 5, expected);
    expect(chunkReaders.own - own).toBe(5);
  });

  it('from a row group without a chunk to read directly on, the loader reads the rest of the range', async () => {
    const { parquet, stored } = await documents('partial');
    const expected = await loaderTexts(parquet);
    const groups = stored.groups.map((group, i) => (i === 2 ? { rowStart: group.rowStart, rows: group.rows, bytes: group.bytes } : group));
    const own = chunkReaders.own;
    await expectUtf8({ ...stored, groups }, 0, 5, expected);
    expect(chunkReaders.own - own).toBe(3);
    await expectUtf8({ ...stored, groups }, 1, 4, expected.slice(50, 200));
    expect(chunkReaders.own - own).toBe(3 + 2);
  });

  it('a chunk the own reader does not take (another codec, an encoding it stops at) goes through the loader', async () => {
    const gzip = path.join(work.dir, 'gzip.parquet');
    const rows = rowsOf(40).map((row) => [row.content]);
    writePagedParquet(gzip, [{ name: 'content', optional: false, pages: 1, encoding: 'PLAIN', codec: 'GZIP', pageRows: 10 }], [rows.slice(0, 25), rows.slice(25)]);
    const zipped = await openParquet(gzip, { content: 'string' }, 'gzip');
    const stored = storedTexts(zipped, 'content');
    expect(stored.groups.map((group) => group.chunk)).toEqual([undefined, undefined]);
    const fallback = chunkReaders.hyparquet;
    await expectUtf8(stored, 0, 2, rows.map(([text]) => text!));
    expect(chunkReaders.hyparquet - fallback).toBe(2);

    // a DELTA_LENGTH_BYTE_ARRAY page, described to the direct reader as if it took it: it stops there (Unsupported)
    const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
    const delta = path.join(work.dir, 'delta.parquet');
    const texts = rowsOf(30).map((row) => row.content);
    const writer = new ParquetWriter({
      writer: fileWriter(delta),
      schema: [{ name: 'schema', num_children: 1 }, { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }],
    });
    writer.write({ columnData: [{ name: 'content', data: texts, encoding: 'DELTA_LENGTH_BYTE_ARRAY' }] });
    writer.finish();
    const deltaFile = await openParquet(delta, { content: 'string' }, 'delta');
    const described = storedTexts(deltaFile, 'content');
    expect(described.groups[0]!.chunk).toBeUndefined();
    const { parquetMetadata } = await import('hyparquet');
    const bytes = readFileSync(delta);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)).row_groups[0]!.columns[0]!.meta_data!;
    const chunk = { start: Number(meta.dictionary_page_offset || meta.data_page_offset), length: Number(meta.total_compressed_size), snappy: meta.codec === 'SNAPPY', optional: false };
    const forced = { ...described, groups: [{ ...described.groups[0]!, chunk }] };
    const before = chunkReaders.hyparquet;
    await expectUtf8(forced, 0, 1, texts);
    expect(chunkReaders.hyparquet - before).toBe(1);
  });

  it('a chunk the own reader stops in after some pages keeps none of its values: the loader reads it whole', async () => {
    const file = path.join(work.dir, 'delta-after.parquet');
    const rows = rowsOf(80).map((row) => [row.content]);
    // group 0 all PLAIN; group 1: two PLAIN pages, then DELTA_LENGTH_BYTE_ARRAY pages
    writePagedParquet(file, [{ name: 'content', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 10, deltaFrom: 2 }], [rows.slice(0, 20), rows.slice(20)]);
    const parquet = await openParquet(file, { content: 'string' }, 'delta-after');
    const described = storedTexts(parquet, 'content');
    expect(described.groups.map((group) => group.chunk === undefined)).toEqual([false, true]);
    const { parquetMetadata } = await import('hyparquet');
    const bytes = readFileSync(file);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)).row_groups[1]!.columns[0]!.meta_data!;
    const chunk = { start: Number(meta.data_page_offset), length: Number(meta.total_compressed_size), snappy: true, optional: false };
    const forced = { ...described, groups: [described.groups[0]!, { ...described.groups[1]!, chunk }] };
    const fallback = chunkReaders.hyparquet;
    await expectUtf8(forced, 0, 2, rows.map(([text]) => text!));
    expect(chunkReaders.hyparquet - fallback).toBe(1);
  });

  it('a null and a damaged page are the errors the loader gives', async () => {
    const nulls = path.join(work.dir, 'nulls.parquet');
    const layout: PageColumn = { name: 'content', optional: true, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 8 };
    writePagedParquet(nulls, [layout], [[['a'], ['b']], [['c'], [null], ['e']]]);
    const withNull = await openParquet(nulls, { content: 'string' }, 'documents/nulls.parquet');
    const stored = storedTexts(withNull, 'content');
    expect(stored.groups[1]!.chunk).toBeDefined();
    const loader = await loaderTexts(withNull).catch((error: unknown) => error);
    expect(loader).toMatchObject({ exitCode: 3, code: 'data.parquet_null', message: 'documents/nulls.parquet: row 3 has a null "content"' });
    const own = chunkReaders.own;
    await expect(readStoredUtf8(stored, 0, 2, sink)).rejects.toMatchObject({ exitCode: 3, code: 'data.parquet_null', message: (loader as Error).message });
    await expectUtf8(stored, 0, 1, ['a', 'b']);
    expect(chunkReaders.own).toBe(own);

    // damaged in place, its modification time set back: as the loader found it, so the direct reader decodes it
    const when = new Date('2024-01-02T03:04:05Z');
    const file = path.join(work.dir, 'damaged.parquet');
    writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string' }, rows: rowsOf(230), rowGroupSize: 50 });
    utimesSync(file, when, when);
    const parquet = await openParquet(file, { id: 'string', content: 'string' }, 'documents/damaged.parquet');
    const intact = storedTexts(parquet, 'content');
    const damaged = readFileSync(file);
    const chunk = intact.groups[3]!.chunk!;
    damaged.fill(0xff, chunk.start + 24, chunk.start + 64);
    writeFileSync(file, damaged);
    utimesSync(file, when, when);
    const here = (await loaderTexts(parquet).catch((error: unknown) => error)) as Error;
    expect(here).toMatchObject({ exitCode: 3, code: 'data.parquet_invalid', message: expect.stringContaining(`rows 150-200 of ${file}`) });
    const reads = chunkReaders.own;
    await expect(readStoredUtf8(intact, 0, 5, sink)).rejects.toMatchObject({ exitCode: 3, code: 'data.parquet_invalid', message: here.message });
    expect(chunkReaders.own).toBe(reads);
  });

  it("loads none of hyparquet's metadata or page modules, nor the loader's parquet module", () => {
    const loaded = modulesLoadedBy(path.join(repoRoot, 'dist', 'retrieval', 'bm25', 'analysis-worker.js'), path.join(work.dir, 'census.txt'));
    expect(loaded.some((line) => line.endsWith('/dist/dataset/parquet-texts.js'))).toBe(true);
    expect(loaded.some((line) => line.endsWith('/hyparquet/src/thrift.js'))).toBe(true);
    const heavy = loaded.filter((line) => /\/hyparquet\/src\/(metadata|column|datapage|read|index)\.js$|\/dist\/dataset\/parquet\.js$/.test(line));
    expect(heavy).toEqual([]);
  });
});

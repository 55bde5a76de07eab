/**
 * The own flat-string reader (src/dataset/flat-strings.ts) against hyparquet's own decoding of the same files (an
 * independent implementation): v1 and v2 data pages, PLAIN and dictionary values, nulls, non-ASCII and malformed
 * bytes, empty strings, several pages per chunk and several row groups; and the fallback to hyparquet for what
 * the reader does not take (another codec, list columns, an encoding it does not decode).
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { chunkReaders, openParquet } from '../../src/dataset/parquet.js';
import { readStoredUtf8, storedTexts } from '../../src/dataset/parquet-texts.js';
import { Utf8Sink } from '../../src/dataset/utf8-values.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { type PageColumn, writePagedParquet } from '../helpers/parquet-pages.js';
import { tempDir } from './support.js';

const utf8 = new TextEncoder();
const awkward: Array<string | Uint8Array> = [
  '',
  'plain ascii text',
  'caf\u00e9 \u2019quoted\u2019 \u{1F9EC} \u4e2d',
  '\ufeffleading byte-order mark',
  Uint8Array.from([0x61, 0xc3]),
  Uint8Array.from([0xa9, 0x62, 0xed, 0xa0, 0x80]),
  // a byte-order mark twice (TextDecoder strips one), alone, and before malformed bytes
  '\ufeff\ufeffdouble mark',
  '\ufeff',
  Uint8Array.from([0xef, 0xbb, 0xbf, 0x61, 0xc3]),
  // overlong, above U+10FFFF, a 4-byte sequence cut short, a lone continuation byte, a cut-short mark
  Uint8Array.from([0xc0, 0xaf, 0x41, 0xf4, 0x90, 0x80, 0x80, 0x42, 0xf0, 0x9f, 0x98]),
  Uint8Array.from([0x80, 0x43, 0xef, 0xbb]),
];

/** Row values: a mix of long ASCII, awkward values, repeats and (for optional columns) nulls. */
function values(rows: number, seed: number, nulls: boolean): Array<string | Uint8Array | null> {
  const next = seededRandom(seed);
  return Array.from({ length: rows }, (_, i) => {
    const r = next();
    if (nulls && r < 0.15) return null;
    if (r < 0.35) return awkward[Math.floor(next() * awkward.length)]!;
    if (r < 0.5) return `repeat ${Math.floor(next() * 4)}`;
    return `doc ${i} `.repeat(1 + Math.floor(next() * 400));
  });
}

async function viaHyparquet(file: string): Promise<Array<Record<string, unknown>>> {
  return parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
}

/** The own reader's raw values (nulls kept) of the file's first column chunk, which holds `rows` rows. */
async function ownReader(file: string, rows: number): Promise<Array<string | null>> {
  const { flatStringChunk, readFlatStrings } = await import('../../src/dataset/flat-strings.js');
  const { parquetMetadata, parquetSchema } = await import('hyparquet');
  const bytes = readFileSync(file);
  const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const element = parquetSchema(metadata).children[0]!.element;
  const fd = openSync(file, 'r');
  try {
    return readFlatStrings(fd, flatStringChunk(metadata.row_groups[0]!.columns[0]!, element, 1)!, rows);
  } finally {
    closeSync(fd);
  }
}

async function viaLoader(file: string, names: string[]): Promise<Array<Record<string, unknown>>> {
  const spec = Object.fromEntries(names.map((name) => [name, 'string' as const]));
  const parquet = await openParquet(file, spec, 'pages');
  const rows: Array<Record<string, unknown>> = [];
  // the loader rejects nulls, so read column by column and compare the raw batches
  for await (const batch of parquet.read(spec)) {
    for (let i = 0; i < batch.rows; i++) rows.push(Object.fromEntries(names.map((name) => [name, batch.columns[name]![i]])));
  }
  return rows;
}

describe('own flat-string reader vs hyparquet', () => {
  let work: { dir: string; remove: () => void };
  beforeAll(() => {
    work = tempDir('flat-strings');
  });
  afterAll(() => work.remove());

  const layouts: Array<Omit<PageColumn, 'name' | 'optional'>> = [];
  for (const pages of [1, 2] as const) {
    for (const encoding of ['PLAIN', 'RLE_DICTIONARY', 'PLAIN_DICTIONARY'] as const) {
      for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) layouts.push({ pages, encoding, codec, pageRows: 7 });
    }
  }
  layouts.push({ pages: 2, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 5, v2Uncompressed: true });

  it.each(layouts.map((layout) => [`v${layout.pages} ${layout.encoding} ${layout.codec}${layout.v2Uncompressed ? ' (page not compressed)' : ''}`, layout] as const))(
    '%s: same strings as hyparquet, several pages and row groups',
    async (_name, layout) => {
      const file = path.join(work.dir, `${layout.pages}-${layout.encoding}-${layout.codec}-${layout.v2Uncompressed ? 'u' : 'c'}.parquet`);
      const columns: PageColumn[] = [
        { name: 'id', optional: false, ...layout },
        { name: 'content', optional: false, ...layout },
      ];
      const groups = [40, 23, 1].map((rows, g) => {
        const content = values(rows, 10 + g, false);
        return content.map((value, i) => [`g${g}-${i}`, value]);
      });
      writePagedParquet(file, columns, groups);
      const before = chunkReaders.own;
      const got = await viaLoader(file, ['id', 'content']);
      expect(chunkReaders.own - before).toBe(6);
      expect(got).toEqual(await viaHyparquet(file));
      // the same texts in UTF-8, each well-formed (a fatal decoder would throw)
      const content = got.map((row) => row.content as string);
      const parquet = await openParquet(file, { content: 'string' }, 'pages');
      const { bytes, offsets } = await readStoredUtf8(storedTexts(parquet, 'content'), 0, 3, new Utf8Sink());
      const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      const encoded = content.map((_, i) => bytes.subarray(offsets[i]!, offsets[i + 1]!));
      expect(offsets.length).toBe(content.length + 1);
      expect(encoded.map((value) => fatal.decode(value))).toEqual(content);
      expect(encoded.map((value) => Buffer.from(value))).toEqual(content.map((text) => Buffer.from(text, 'utf8')));
      expect(chunkReaders.own - before).toBe(6);
    },
  );

  it.each([1, 2] as const)('v%i pages: nulls come back as hyparquet gives them, and the loader names the row', async (pages) => {
    for (const encoding of ['PLAIN', 'RLE_DICTIONARY'] as const) {
      const file = path.join(work.dir, `nulls-${pages}-${encoding}.parquet`);
      const layout = { pages, encoding, codec: 'SNAPPY', pageRows: 6 } as const;
      // an all-null page and a page without nulls among them
      const content = [...values(30, 3, true), null, null, null, null, null, null, 'x', 'y', 'z', '', 'w', 'v'];
      writePagedParquet(file, [{ name: 'content', optional: true, ...layout }], [content.map((value) => [value])]);
      expect((await ownReader(file, content.length)).map((content) => ({ content }))).toEqual(await viaHyparquet(file));
      const firstNull = content.indexOf(null);
      await expect(viaLoader(file, ['content'])).rejects.toMatchObject({ exitCode: 3, message: `pages: row ${firstNull} has a null "content"` });
      const stored = storedTexts(await openParquet(file, { content: 'string' }, 'pages'), 'content');
      await expect(readStoredUtf8(stored, 0, 1, new Utf8Sink())).rejects.toMatchObject({ exitCode: 3, message: `pages: row ${firstNull} has a null "content"` });
    }
  });

  it.each([1, 2] as const)('v%i pages: definition levels written as runs read as hyparquet reads them (the own reader skips the loop over a page without nulls)', async (pages) => {
    for (const encoding of ['PLAIN', 'RLE_DICTIONARY'] as const) {
      const file = path.join(work.dir, `level-runs-${pages}-${encoding}.parquet`);
      // pages of 20 rows, and a writer encodes 8 or more equal levels as one run: a page without nulls (one run of
      // 1s), 12 rows then 8 nulls (a run of 1s shorter than the page), only nulls (a run of 0s as long as the page),
      // 10 nulls then 10 rows, then a last page without nulls again
      const content = [...values(20, 21, false), ...values(12, 22, false), ...Array<null>(38).fill(null), ...values(30, 23, false)];
      writePagedParquet(file, [{ name: 'content', optional: true, pages, encoding, codec: 'SNAPPY', pageRows: 20 }], [content.map((value) => [value])]);
      expect((await ownReader(file, content.length)).map((content) => ({ content }))).toEqual(await viaHyparquet(file));
      // no nulls at all: every page's levels are one run of 1s; the UTF-8 reader takes them too
      const defined = path.join(work.dir, `level-runs-${pages}-${encoding}-defined.parquet`);
      const texts = values(60, 24, false);
      writePagedParquet(defined, [{ name: 'content', optional: true, pages, encoding, codec: 'SNAPPY', pageRows: 20 }], [texts.map((value) => [value])]);
      const loaded = (await viaLoader(defined, ['content'])).map((row) => row.content as string);
      expect(loaded.map((content) => ({ content }))).toEqual(await viaHyparquet(defined));
      const { bytes, offsets } = await readStoredUtf8(storedTexts(await openParquet(defined, { content: 'string' }, 'pages'), 'content'), 0, 1, new Utf8Sink());
      expect(loaded.map((_, i) => Buffer.from(bytes.subarray(offsets[i]!, offsets[i + 1]!)))).toEqual(loaded.map((text) => Buffer.from(text, 'utf8')));
    }
  });

  it('a single value larger than a page group and many distinct dictionary entries', async () => {
    const file = path.join(work.dir, 'big.parquet');
    const big = `${'x'.repeat(70_000)}\u00e9${'y'.repeat(70_000)}`;
    const rows = Array.from({ length: 600 }, (_, i) => [`id-${i}`, i === 5 ? big : i === 6 ? 'z'.repeat(200_000) : `value ${i % 300}`]);
    writePagedParquet(file, [
      { name: 'id', optional: false, pages: 1, encoding: 'RLE_DICTIONARY', codec: 'SNAPPY', pageRows: 250 },
      { name: 'content', optional: true, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 100 },
    ], [rows]);
    expect(await viaLoader(file, ['id', 'content'])).toEqual(await viaHyparquet(file));
  });

  it('falls back to hyparquet for another codec and for list columns, with the same strings', async () => {
    const gzip = path.join(work.dir, 'gzip.parquet');
    const rows = values(50, 7, false).map((value, i) => [`d${i}`, value]);
    writePagedParquet(gzip, [
      { name: 'id', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 20 },
      { name: 'content', optional: false, pages: 1, encoding: 'PLAIN', codec: 'GZIP', pageRows: 20 },
    ], [rows]);
    let own = chunkReaders.own;
    let fallback = chunkReaders.hyparquet;
    expect(await viaLoader(gzip, ['id', 'content'])).toEqual(await viaHyparquet(gzip));
    expect([chunkReaders.own - own, chunkReaders.hyparquet - fallback]).toEqual([1, 1]);

    const lists = path.join(work.dir, 'lists.parquet');
    const listRows = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, gold: i % 4 === 0 ? [] : [`g${i}`, 'caf\u00e9'] }));
    writeBrightParquet({ filename: lists, columns: { id: 'string', gold: 'string[]' }, rows: listRows, rowGroupSize: 5 });
    own = chunkReaders.own;
    fallback = chunkReaders.hyparquet;
    const parquet = await openParquet(lists, { id: 'string', gold: 'string[]' }, 'lists');
    const got: unknown[] = [];
    for await (const batch of parquet.read({ id: 'string', gold: 'string[]' })) for (let i = 0; i < batch.rows; i++) got.push({ id: batch.columns.id[i], gold: batch.columns.gold[i] });
    expect(got).toEqual(listRows);
    expect([chunkReaders.own - own, chunkReaders.hyparquet - fallback]).toEqual([3, 3]);
  });

  it('falls back to hyparquet for a page encoding it does not decode (DELTA_LENGTH_BYTE_ARRAY)', async () => {
    const { ParquetWriter, fileWriter } = await import('hyparquet-writer');
    const file = path.join(work.dir, 'delta.parquet');
    const content = values(30, 9, false).map((value) => (typeof value === 'string' ? value : utf8.encode('bytes')));
    const writer = new ParquetWriter({
      writer: fileWriter(file),
      schema: [{ name: 'schema', num_children: 1 }, { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }],
    });
    writer.write({ columnData: [{ name: 'content', data: content, encoding: 'DELTA_LENGTH_BYTE_ARRAY' }] });
    writer.finish();
    const fallback = chunkReaders.hyparquet;
    expect(await viaLoader(file, ['content'])).toEqual(await viaHyparquet(file));
    expect(chunkReaders.hyparquet - fallback).toBe(1);
  });

  it('a dictionary index beyond the dictionary is an error naming that index (exit 3)', async () => {
    const file = path.join(work.dir, 'index-range.parquet');
    // one dictionary entry, so indices 1 bit wide; ten rows of it are one run: width 1, header 10 << 1, value 0
    writePagedParquet(file, [{ name: 'content', optional: false, pages: 1, encoding: 'RLE_DICTIONARY', codec: 'UNCOMPRESSED', pageRows: 10 }], [Array.from({ length: 10 }, () => ['same'])]);
    const bytes = readFileSync(file);
    const run = bytes.lastIndexOf(Buffer.from([1, 10 << 1, 0]));
    expect(run).toBeGreaterThan(0);
    for (const index of [1, 5]) {
      const copy = Buffer.from(bytes);
      copy[run + 2] = index;
      const damaged = path.join(work.dir, `index-range-${index}.parquet`);
      writeFileSync(damaged, copy);
      const message = expect.stringContaining(`dictionary index ${index} out of range (1 entries)`);
      await expect(viaLoader(damaged, ['content'])).rejects.toMatchObject({ exitCode: 3, message });
    }
  });

  it('a damaged page is a clear error naming the file (exit 3)', async () => {
    const file = path.join(work.dir, 'damaged.parquet');
    const rows = Array.from({ length: 200 }, (_, i) => [`d${i}`, `text ${i} `.repeat(30)]);
    writePagedParquet(file, [
      { name: 'id', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 200 },
      { name: 'content', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 50 },
    ], [rows]);
    const bytes = readFileSync(file);
    const damaged = path.join(work.dir, 'damaged-2.parquet');
    for (const at of [0.2, 0.5, 0.8]) {
      const copy = Buffer.from(bytes);
      const offset = Math.floor(copy.length * at);
      for (let i = 0; i < 16; i++) copy[offset + i] = 0xff;
      writeFileSync(damaged, copy);
      await expect(viaLoader(damaged, ['id', 'content'])).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining(damaged) });
    }
  });
});

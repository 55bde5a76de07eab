import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { writeBrightParquet } from '../../tools/bright-parquet.mjs';
import { compressorCodecs, openParquet } from '../../src/dataset/parquet.js';
import { tempDir } from './support.js';

describe('parquet reading', () => {
  let work: { dir: string; remove: () => void };
  beforeAll(() => {
    work = tempDir('parquet');
    mkdirSync(work.dir, { recursive: true });
  });
  afterAll(() => work.remove());

  it('streams row groups in file order, with list columns', async () => {
    const file = path.join(work.dir, 'groups.parquet');
    const rows = Array.from({ length: 23 }, (_, i) => ({ id: `d${i}`, tags: i % 3 === 0 ? [] : [`t${i}`, 'N/A'] }));
    writeBrightParquet({ filename: file, columns: { id: 'string', tags: 'string[]' }, rows, rowGroupSize: 5 });
    const parquet = await openParquet(file, { id: 'string', tags: 'string[]' }, 'groups');
    expect([parquet.rows, parquet.rowGroups]).toEqual([23, 5]);
    const batches = [];
    for await (const batch of parquet.read({ id: 'string', tags: 'string[]' })) batches.push(batch);
    expect(batches.map((batch) => [batch.rowStart, batch.rows])).toEqual([[0, 5], [5, 5], [10, 5], [15, 5], [20, 3]]);
    expect(batches.flatMap((batch) => batch.columns.id)).toEqual(rows.map((row) => row.id));
    expect(batches.flatMap((batch) => batch.columns.tags)).toEqual(rows.map((row) => row.tags));
  });

  it('decodes strings exactly as hyparquet does itself: non-ASCII, malformed bytes, BOMs, dictionary pages', async () => {
    const file = path.join(work.dir, 'strings.parquet');
    const utf8 = new TextEncoder();
    const texts: Uint8Array[] = [
      utf8.encode('plain ascii text, long enough to be a slice'),
      utf8.encode('caf\u00e9 \u2019quoted\u2019 \u{1F9EC} \u4e2d'),
      utf8.encode('\ufeffleading byte-order mark'),
      Uint8Array.from([0x61, 0xc3]),
      Uint8Array.from([0xa9, 0x62, 0xed, 0xa0, 0x80]),
      utf8.encode(''),
    ];
    const rows = Array.from({ length: 60 }, (_, i) => ({ id: `doc-${i}`, content: texts[i % texts.length]!, tag: texts[(i * 7) % texts.length]! }));
    const writer = new ParquetWriter({
      writer: fileWriter(file),
      schema: [
        { name: 'schema', num_children: 3 },
        ...['id', 'content', 'tag'].map((name) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const })),
      ],
    });
    for (let start = 0; start < rows.length; start += 25) {
      const group = rows.slice(start, start + 25);
      writer.write({
        columnData: [
          { name: 'id', data: group.map((row) => row.id), encoding: 'PLAIN' },
          { name: 'content', data: group.map((row) => row.content), encoding: 'PLAIN' },
          { name: 'tag', data: group.map((row) => row.tag), encoding: 'RLE_DICTIONARY' },
        ],
        rowGroupSize: group.length,
      });
    }
    writer.finish();
    const expected = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
    const parquet = await openParquet(file, { id: 'string', content: 'string', tag: 'string' }, 'strings');
    const got: Array<Record<string, string>> = [];
    for await (const batch of parquet.read({ id: 'string', content: 'string', tag: 'string' })) {
      for (let i = 0; i < batch.rows; i++) got.push({ id: batch.columns.id[i]!, content: batch.columns.content[i]!, tag: batch.columns.tag[i]! });
    }
    expect(got).toEqual(expected);
    expect(new Set(got.map((row) => row.tag)).size).toBe(texts.length);
  });

  it('names a missing column and lists the present ones', async () => {
    const file = path.join(work.dir, 'missing.parquet');
    writeBrightParquet({ filename: file, columns: { id: 'string', text: 'string' }, rows: [{ id: 'a', text: 'b' }] });
    await expect(openParquet(file, { id: 'string', content: 'string' }, 'documents/x.parquet')).rejects.toMatchObject({
      exitCode: 3,
      message: `documents/x.parquet (${file}): column "content" is missing (columns: id, text); this is not the BRIGHT file that belongs at this path`,
    });
  });

  it('rejects a column of the wrong type', async () => {
    const file = path.join(work.dir, 'type.parquet');
    writeBrightParquet({ filename: file, columns: { id: 'int64', content: 'string' }, rows: [{ id: 1n, content: 'b' }] });
    await expect(openParquet(file, { id: 'string', content: 'string' }, 'docs')).rejects.toMatchObject({
      message: `docs (${file}): column "id" should be a string, found INT64; this is not the BRIGHT file that belongs at this path`,
    });
    await expect(openParquet(file, { content: 'string[]' }, 'docs')).rejects.toMatchObject({
      message: `docs (${file}): column "content" should be a list of strings, found BYTE_ARRAY/UTF8; this is not the BRIGHT file that belongs at this path`,
    });
  });

  it('rejects null values with the row number', async () => {
    const file = path.join(work.dir, 'null.parquet');
    writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string' }, rows: [{ id: 'a', content: 'x' }, { id: 'b', content: null }], rowGroupSize: 1 });
    const parquet = await openParquet(file, { id: 'string', content: 'string' }, 'docs');
    const read = async () => {
      for await (const batch of parquet.read({ id: 'string', content: 'string' })) void batch;
    };
    await expect(read()).rejects.toMatchObject({ message: 'docs: row 1 has a null "content"' });
  });

  it('reads a range of row groups exactly as the whole stream reads them, and describes each row group', async () => {
    const file = path.join(work.dir, 'ranges.parquet');
    const rows = Array.from({ length: 23 }, (_, i) => ({ id: `d${i}`, content: `text ${i} caf\u00e9 `.repeat(i), tags: i % 2 ? ['a'] : [] }));
    writeBrightParquet({ filename: file, columns: { id: 'string', content: 'string', tags: 'string[]' }, rows, rowGroupSize: 5 });
    const parquet = await openParquet(file, { id: 'string', content: 'string', tags: 'string[]' }, 'docs/ranges.parquet');
    expect(parquet.label).toBe('docs/ranges.parquet');
    expect(parquet.groups.map((group) => [group.rowStart, group.rows])).toEqual([[0, 5], [5, 5], [10, 5], [15, 5], [20, 3]]);
    // a string column's uncompressed bytes hold at least its texts' UTF-8 bytes (parallel analysis sizes chunks by them)
    for (const group of parquet.groups) {
      const texts = rows.slice(group.rowStart, group.rowStart + group.rows).map((row) => Buffer.byteLength(row.content));
      expect(group.columnBytes.content).toBeGreaterThanOrEqual(texts.reduce((sum, bytes) => sum + bytes, 0));
    }
    expect(parquet.groups.every((group) => group.columnBytes.id! > 0 && group.columnBytes.tags! > 0)).toBe(true);
    const spec = { id: 'string', content: 'string', tags: 'string[]' } as const;
    const whole = [];
    for await (const batch of parquet.read(spec)) whole.push(batch);
    for (const [first, end] of [[0, 5], [1, 3], [4, 5], [2, 2], [3, 9]] as const) {
      const part = [];
      for await (const batch of parquet.readRowGroups(spec, first, end)) part.push(batch);
      expect(part).toEqual(whole.slice(first, end));
    }
    // `read` from a row inside a row group starts with that row group
    const from = [];
    for await (const batch of parquet.read({ id: 'string' }, undefined, 12)) from.push(batch.rowStart);
    expect(from).toEqual([10, 15, 20]);
  });

  it('holds one file descriptor while reading and closes it when the reading ends, fails or stops early', async () => {
    const { readdirSync } = await import('node:fs');
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const file = path.join(work.dir, 'descriptors.parquet');
    writeBrightParquet({ filename: file, columns: { id: 'string' }, rows: Array.from({ length: 30 }, (_, i) => ({ id: `d${i}` })), rowGroupSize: 5 });
    const parquet = await openParquet(file, { id: 'string' }, 'docs');
    const before = openFiles();
    const during: number[] = [];
    for await (const batch of parquet.read({ id: 'string' })) {
      void batch;
      during.push(openFiles());
    }
    expect(during).toEqual(Array(6).fill(before + 1));
    expect(openFiles()).toBe(before);
    for await (const batch of parquet.read({ id: 'string' })) if (batch.rowStart === 10) break;
    expect(openFiles()).toBe(before);
    const aborted = new AbortController();
    const stopped = (async () => {
      for await (const batch of parquet.read({ id: 'string' }, aborted.signal)) if (batch.rowStart === 5) aborted.abort();
    })();
    await expect(stopped).rejects.toThrow();
    expect(openFiles()).toBe(before);
  });

  it('knows which codecs hyparquet-compressors adds (that package is imported only for a file that uses one)', async () => {
    const { compressors } = await import('hyparquet-compressors');
    expect([...compressorCodecs].sort()).toEqual(Object.keys(compressors).filter((codec) => codec !== 'SNAPPY').sort());
  });

  it('rejects a codec it cannot decode, naming it', async () => {
    const file = path.join(work.dir, 'lzo.parquet');
    const writer = new ParquetWriter({
      writer: fileWriter(file),
      schema: [{ name: 'schema', num_children: 1 }, { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }],
      codec: 'LZO',
      compressors: { LZO: (input: Uint8Array) => input },
    });
    writer.write({ columnData: [{ name: 'id', data: ['a'] }] });
    writer.finish();
    await expect(openParquet(file, { id: 'string' }, 'docs')).rejects.toMatchObject({ message: expect.stringContaining('parquet: unsupported codec LZO in docs') });
  });

  it('says a non-parquet file is not parquet', async () => {
    const file = path.join(work.dir, 'bogus.parquet');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'not parquet at all');
    await expect(openParquet(file, { id: 'string' }, 'docs')).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('is not a readable parquet file') });
  });

  it('names the file and the remedy for an empty, truncated or damaged file', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const good = path.join(work.dir, 'good.parquet');
    writeBrightParquet({ filename: good, columns: { id: 'string', content: 'string' }, rows: Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, content: `text ${i} `.repeat(20) })) });
    const bytes = readFileSync(good);
    const columns = { id: 'string', content: 'string' } as const;

    const empty = path.join(work.dir, 'empty.parquet');
    writeFileSync(empty, '');
    await expect(openParquet(empty, columns, 'docs')).rejects.toMatchObject({ exitCode: 3, message: `docs: ${empty} is not a parquet file (0 bytes); delete it and download again` });

    const truncated = path.join(work.dir, 'truncated.parquet');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 40));
    await expect(openParquet(truncated, columns, 'docs')).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(new RegExp(`^docs: ${truncated} is not a readable parquet file \\(.+\\); delete it and download again$`)),
    });

    // a damaged data page: the footer is intact, decoding the rows fails
    const damaged = path.join(work.dir, 'damaged.parquet');
    const copy = Buffer.from(bytes);
    copy.fill(0x55, 8, 200);
    writeFileSync(damaged, copy);
    const parquet = await openParquet(damaged, columns, 'docs');
    const read = async () => {
      for await (const batch of parquet.read(columns)) void batch;
    };
    await expect(read()).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(new RegExp(`^docs: cannot decode rows 0-50 of ${damaged} \\(.+\\); the file is damaged: delete it and download again$`)),
    });
  });
});

/**
 * The loader's corpus ids as UTF-8 bytes (readCorpusIds): each id is the string hyparquet's stream (the loader's
 * `read`) decodes, whatever the pages hold and however they are laid out, and a bad id column fails as it does.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpusIds } from '../../src/dataset/load-task.js';
import { openParquet, type ParquetFile } from '../../src/dataset/parquet.js';
import { type PageColumn, writePagedParquet } from '../helpers/parquet-pages.js';
import { tempDir } from './support.js';

async function streamedIds(parquet: ParquetFile): Promise<string[]> {
  const ids: string[] = [];
  for await (const batch of parquet.read({ id: 'string' })) ids.push(...batch.columns.id);
  return ids;
}

/** Ids as a corpus may hold them: plain, non-ASCII, astral, with a byte-order mark, not UTF-8 at all, empty. */
function idOf(row: number): string | Uint8Array {
  switch (row % 9) {
    case 1:
      return `caf\u00e9/${row}`;
    case 2:
      return `\u{1F9EC}_${row}.txt`;
    case 3:
      return `\ufeffbom-${row}`;
    case 4:
      return Uint8Array.from([0x64, 0xff, 0xc3, 0x28, 0x30 + (row % 10)]);
    case 5:
      return row % 2 === 0 ? '' : `Pony/${row}`;
    default:
      return `biology/doc_${row}.txt`;
  }
}

const layouts: Array<[string, PageColumn]> = [
  ['PLAIN v1 pages', { name: 'id', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 7 }],
  ['dictionary v2 pages', { name: 'id', optional: false, pages: 2, encoding: 'RLE_DICTIONARY', codec: 'SNAPPY', pageRows: 16 }],
  ['an optional column without nulls', { name: 'id', optional: true, pages: 1, encoding: 'PLAIN_DICTIONARY', codec: 'UNCOMPRESSED', pageRows: 10 }],
  ['GZIP (the loader reads it)', { name: 'id', optional: false, pages: 1, encoding: 'PLAIN', codec: 'GZIP', pageRows: 10 }],
  ['pages the own reader stops in', { name: 'id', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 5, deltaFrom: 1 }],
];

describe('readCorpusIds', () => {
  let work: { dir: string; remove: () => void };
  beforeAll(() => {
    work = tempDir('read-corpus-ids');
  });
  afterAll(() => work.remove());

  const content: PageColumn = { name: 'content', optional: false, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 50 };

  for (const [name, layout] of layouts) {
    it(`decodes each id to the loader's string: ${name}`, async () => {
      const file = path.join(work.dir, `${name.replace(/\W+/g, '-')}.parquet`);
      let row = 0;
      const groups = [40, 1, 33, 27].map((rows) => Array.from({ length: rows }, () => [idOf(row), `text ${row++}`]));
      // a repeated id, as BRIGHT's corpora have none but the loader must keep
      groups[2]![5]![0] = groups[0]![3]![0]!;
      writePagedParquet(file, [layout, content], groups);
      const parquet = await openParquet(file, { id: 'string', content: 'string' }, `documents/${name}.parquet`);
      const expected = await streamedIds(parquet);
      const ids = await readCorpusIds(parquet, 'test');
      expect(ids.length).toBe(expected.length);
      expect(Array.from({ length: ids.length }, (_, i) => ids.id(i))).toEqual(expected);
      // well-formed UTF-8: the same bytes as each string's own encoding
      expect(Buffer.from(ids.bytes)).toEqual(Buffer.from(expected.join(''), 'utf8'));
      // each id's first row (empty ids, and ids whose invalid bytes decode alike, repeat too)
      const first = new Map<string, number>();
      expected.forEach((id, i) => first.set(id, first.get(id) ?? i));
      expect(first.get(expected[46]!)).toBe(3);
      for (const id of expected) expect(ids.rowOf(id)).toBe(first.get(id));
      for (const [i, id] of expected.entries()) expect(ids.groups?.get(i) ?? i).toBe(first.get(id));
    });
  }

  it('fails on a null id and on an empty corpus as the loader does', async () => {
    const nulls = path.join(work.dir, 'nulls.parquet');
    writePagedParquet(nulls, [{ name: 'id', optional: true, pages: 1, encoding: 'PLAIN', codec: 'SNAPPY', pageRows: 4 }, content], [[['a', 'x'], ['b', 'y']], [['c', 'z'], [null, 'w']]]);
    const parquet = await openParquet(nulls, { id: 'string', content: 'string' }, 'documents/nulls.parquet');
    const streamed = await streamedIds(parquet).catch((error: Error) => error);
    expect(streamed).toBeInstanceOf(Error);
    await expect(readCorpusIds(parquet, 'test')).rejects.toMatchObject({ exitCode: 3, message: (streamed as Error).message });
    expect((streamed as Error).message).toContain('row 3 has a null "id"');

    const empty = path.join(work.dir, 'empty.parquet');
    writePagedParquet(empty, [layouts[0]![1], content], []);
    const none = await openParquet(empty, { id: 'string', content: 'string' }, 'documents/empty.parquet');
    await expect(readCorpusIds(none, 'pony documents')).rejects.toMatchObject({ exitCode: 3, message: 'pony documents: the corpus has no documents' });
  });
});

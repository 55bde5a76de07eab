import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArrowBatches, readArrowFile } from '../../src/encode/cache/arrow-io.js';
import { openNpy, readNpyRows } from '../../src/retrieval/dense/npy.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

/** Written by pyarrow 25 (tools/make-arrow-fixtures.py): the same vectors uncompressed, lz4 and zstd, 16-row batches. */
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'arrow');
const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const file = (role: string, compression: string) => path.join(fixtures, `pony-${role}.${compression}.arrow`);

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-arrow-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('Arrow IPC files compressed by pyarrow', () => {
  it.each(['lz4', 'zstd'])('%s: every id and float32 value equals the uncompressed file and the .npy', async (compression) => {
    for (const role of ['queries', 'documents']) {
      const plain = await readArrowFile(file(role, 'uncompressed'));
      const packed = await readArrowFile(file(role, compression));
      const npy = await openNpy(path.join(fixtures, `pony-${role}.npy`));
      expect(packed.dim).toBe(8);
      expect(packed.ids).toEqual(plain.ids);
      expect(packed.vectors).toEqual(plain.vectors);
      expect(packed.vectors).toEqual(await readNpyRows(npy, 0, npy.rows));
      let batches = 0;
      for await (const batch of readArrowBatches(file(role, compression))) batches += batch.ids.length > 0 ? 1 : 0;
      expect(batches).toBe(Math.ceil(plain.ids.length / 16));
    }
  });

  it('eval --retriever embeddings scores lz4 and zstd files to the same run as the uncompressed files (was exit 70)', async () => {
    const runs: string[] = [];
    for (const [docs, queries] of [['uncompressed', 'uncompressed'], ['lz4', 'zstd'], ['zstd', 'lz4']]) {
      const out = path.join(work, `${docs}-${queries}`);
      const result = await runReasonir([
        'eval', '--task', 'pony', '--retriever', 'embeddings', '--doc-emb', file('documents', docs!), '--query-emb', file('queries', queries!),
        '--device', 'cpu', '--data-dir', fixtureData, '--out', out,
      ]);
      expect(result.stderr).not.toContain('internal error');
      expect(result.code).toBe(0);
      runs.push(readFileSync(path.join(out, 'pony', 'run.trec'), 'utf8'));
    }
    expect(runs[0]!.split('\n').length).toBeGreaterThan(100);
    expect(runs[1]).toBe(runs[0]);
    expect(runs[2]).toBe(runs[0]);
  });

  it.each([
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
    ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ])('a corrupt %s buffer is a data error naming the file (exit 3), not an internal error', async (compression, magic) => {
    const bytes = readFileSync(file('documents', compression as string));
    // break the frame header of one compressed buffer: the IPC framing stays intact, so only the codec can object
    const at = bytes.indexOf(Buffer.from(magic as number[]));
    expect(at).toBeGreaterThan(0);
    bytes[at + 4] = 0xff;
    const broken = path.join(work, `broken.${compression}.arrow`);
    await fs.writeFile(broken, bytes);
    const result = await runReasonir([
      'eval', '--task', 'pony', '--retriever', 'embeddings', '--doc-emb', broken, '--query-emb', file('queries', 'uncompressed'),
      '--device', 'cpu', '--data-dir', fixtureData, '--out', path.join(work, `broken-${compression}`),
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(broken);
    expect(result.stderr).not.toContain('internal error');
  });
});

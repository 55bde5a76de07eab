import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArrowFile } from '../../src/encode/cache/arrow-io.js';
import { npyHeader, writeNpy } from '../../src/export/npy-writer.js';
import { openNpy, readNpyRows } from '../../src/retrieval/dense/npy.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures');
const fixtureData = path.join(fixtures, 'bright', 'data');
const tinyBert = path.join(fixtures, 'models', 'tiny-bert');

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-export-bright-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('.npy as numpy writes it', () => {
  it('is byte-identical to np.save of the same float32 matrix (numpy 2.4 fixture)', async () => {
    const rows = await readArrowFile(path.join(fixtures, 'arrow', 'pony-documents.uncompressed.arrow'));
    const file = path.join(work, 'docs.npy');
    await writeNpy(file, rows.ids.length, rows.dim, [rows.vectors.subarray(0, 5 * rows.dim), rows.vectors.subarray(5 * rows.dim)]);
    expect(readFileSync(file)).toEqual(readFileSync(path.join(fixtures, 'arrow', 'pony-documents.npy')));
  });

  it('pads the header to 64 bytes with numpy\'s growth space whatever the row count', () => {
    // numpy 2.4: np.save of a (123456, 4096) float32 array starts with this 128-byte header
    const header = npyHeader(123456, 4096).toString('latin1');
    expect(header.length % 64).toBe(0);
    expect(header).toBe(`\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (123456, 4096), }${' '.repeat(50)}\n`);
  });
});

describe('export --format bright of a dense run', () => {
  it('writes its embeddings as BRIGHT/ReasonIR caches: cache/{doc,query}_emb/<model>/<task>/long_False_<bs>/0.npy', async () => {
    const cache = path.join(work, 'cache');
    const out = path.join(work, 'dense');
    const run = await runReasonir(['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--data-dir', fixtureData, '--out', out], { env: { REASONIR_CACHE: cache } });
    expect(run.code, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(out, 'leetcode', 'manifest.json'), 'utf8'));
    const keys = manifest.retriever.parameters.embeddings as { document: string; query: string };
    expect(keys.document).toMatch(/^[0-9a-f]{64}$/);
    const exported = await runReasonir(['export', out, '--format', 'bright', '--out', path.join(work, 'bright'), '--batch-size', '8'], { env: { REASONIR_CACHE: cache } });
    expect(exported.code, exported.stderr).toBe(0);
    for (const [role, key] of [['doc_emb', keys.document], ['query_emb', keys.query]] as const) {
      const npy = await openNpy(path.join(work, 'bright', 'cache', role, 'tiny-bert', 'leetcode', 'long_False_8', '0.npy'));
      const arrow = await readArrowFile(path.join(cache, 'embeddings', key.slice(0, 2), key, 'embeddings.arrow'));
      expect([npy.rows, npy.cols, npy.dtype]).toEqual([arrow.ids.length, arrow.dim, 'float32']);
      expect(await readNpyRows(npy, 0, npy.rows)).toEqual(arrow.vectors);
    }
    expect(readFileSync(path.join(work, 'bright', 'outputs', 'leetcode_tiny-bert_long_False', 'score.json'), 'utf8')).toBe(readFileSync(path.join(out, 'leetcode', 'score.json'), 'utf8'));
  });
});

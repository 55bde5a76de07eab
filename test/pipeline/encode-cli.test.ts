import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const tinyBert = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert');

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-encode-cli-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('reasonir encode (the index stage alone)', () => {
  it('a shard with no rows says so and exits 0; the shard holding the chunk assembles it; eval gathers from the cache', async () => {
    const env = { REASONIR_CACHE: path.join(work, 'dense-cache') };
    const dense = ['encode', '--task', 'leetcode', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--data-dir', fixtureData];
    // the fixture leetcode's 1,760 documents are one 2048-row chunk: shards 0-2 of 4 have nothing to do
    const empty = await runReasonir([...dense, '--shard', '0/4'], { env });

    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('leetcode: shard 0/4 has no rows to encode (1760 rows make 1 chunk of 2048, fewer than 4 shards); 0 of 1760 rows are cached');
    expect(empty.stdout).toBe('leetcode\t0/4\t0-0\tpartial\n');
    const last = await runReasonir([...dense, '--shard', '3/4'], { env });
    expect(last.code).toBe(0);
    expect(last.stderr).toContain('leetcode: shard 3/4 covers rows 0-1760 (chunks of 2048), encoded 1760 now; all 1760 rows are cached and assembled');
    expect(last.stdout).toBe('leetcode\t3/4\t0-1760\tcomplete\n');
    const again = await runReasonir([...dense, '--shard', '3/4'], { env });
    expect(again.stderr).toContain('encoded 0 now');

    const embeddings = path.join(work, 'dense-cache', 'embeddings');
    const documentFile = path.join(embeddings, readdirSync(embeddings, { recursive: true, encoding: 'utf8' }).find((file) => file.endsWith('embeddings.arrow'))!);
    const encodedAt = (await fs.stat(documentFile)).mtimeMs;
    const gathered = await runReasonir(
      ['eval', '--task', 'leetcode', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--data-dir', fixtureData, '--out', path.join(work, 'gathered'), '--json'],
      { env },
    );
    expect(gathered.code).toBe(0);
    expect(Object.keys(JSON.parse(gathered.stdout).tasks)).toEqual(['leetcode']);
    expect(readdirSync(path.join(work, 'gathered')).sort()).toEqual(['leetcode', 'summary.json']);
    // the gather step searched the cached document embeddings instead of encoding them again
    expect((await fs.stat(documentFile)).mtimeMs).toBe(encodedAt);
  });

  it('builds the BM25 index cache whole; --shard with BM25 and --shard on eval are refused with exit 2', async () => {
    const env = { REASONIR_CACHE: path.join(work, 'bm25-cache') };
    const built = await runReasonir(['encode', '--task', 'pony', '--data-dir', fixtureData], { env });
    expect(built.code).toBe(0);
    expect(built.stdout).toBe('pony\tall\t-\tcomplete\n');
    expect(readdirSync(path.join(work, 'bm25-cache', 'bm25')).filter((file) => file.endsWith('.bm25idx'))).toHaveLength(1);
    const sharded = await runReasonir(['encode', '--task', 'pony', '--data-dir', fixtureData, '--shard', '0/2'], { env });
    expect(sharded.code).toBe(2);
    expect(sharded.stderr).toContain("--shard needs --retriever dense: BM25's index is built whole");
    const evalShard = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--shard', '0/2'], { env });
    expect(evalShard.code).toBe(2);
    expect(existsSync(path.join(work, 'results'))).toBe(false);
  });
});

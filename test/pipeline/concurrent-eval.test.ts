/**
 * Under load: four `eval` processes started at once, sharing one HF cache (fed by the Hub imitation) and one
 * REASONIR_CACHE, on the same task with BM25 and with a dense model, all finish with byte-identical results and
 * leave a clean cache: every blob verified, no temporary or partial file, no chunk folder, lock files only.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, spawnReasonir } from '../helpers/cli.js';
import { brightServer, fixtureCommit, hubEnvironment } from '../dataset/support.js';
import type { HfServer } from '../helpers/hf-server.js';

const tinyBert = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert');
let work: string;
let server: HfServer;
beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-concurrent-'));
  server = await brightServer();
  // every transfer is slow enough that the four processes overlap on the same blobs
  server.fail({ server: 'cdn', delayMs: 400, times: 100 });
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('four eval processes on one cache', () => {
  it.each([
    ['bm25', ['--retriever', 'bm25']],
    ['dense', ['--retriever', 'dense', '--model', tinyBert, '--device', 'cpu']],
  ])('%s: all exit 0 with byte-identical run.trec, and the caches are clean', async (name, retriever) => {
    const env = hubEnvironment(server, path.join(work, 'hub'), { REASONIR_CACHE: path.join(work, 'cache') });
    const outs = [0, 1, 2, 3].map((i) => path.join(work, `${name}-${i}`));
    const results = await Promise.all(
      outs.map((out) => spawnReasonir(['eval', '--task', 'leetcode', '--revision', fixtureCommit, ...retriever, '--out', out, '--no-progress'], { env })),
    );
    for (const result of results) {
      expect(result.stderr).not.toContain('internal error');
      expect(result.code, result.stderr).toBe(0);
    }
    const runs = outs.map((out) => readFileSync(path.join(out, 'leetcode', 'run.trec')));
    for (const run of runs.slice(1)) expect(run.equals(runs[0]!)).toBe(true);

    const hub = files(path.join(work, 'hub'));
    const blobs = hub.filter((file) => file.includes(`${path.sep}blobs${path.sep}`));
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) expect(createHash('sha256').update(readFileSync(path.join(work, 'hub', blob))).digest('hex')).toBe(path.basename(blob));
    expect(hub.filter((file) => /\.(tmp|incomplete)$/.test(file))).toEqual([]);
    expect(hub.filter((file) => file.startsWith('.locks')).every((file) => file.endsWith('.lock'))).toBe(true);
    const cache = files(path.join(work, 'cache'));
    expect(cache.filter((file) => file.endsWith('.tmp') || file.includes(`${path.sep}chunks${path.sep}`))).toEqual([]);
  });
});

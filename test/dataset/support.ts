import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';
import { startHfServer } from '../helpers/hf-server.js';
import type { HfServer, HfServerOptions } from '../helpers/hf-server.js';
import { pageLoops, scratchBytes } from '../../src/dataset/page-loops.js';

export const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
/** The commit the test server serves the fixtures at; `main` points at it. */
export const fixtureCommit = 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1';
export const pinnedCommit = '3066d29c9651a576c8aba4832d249807b181ecae';

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `reasonir-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function brightServer(options: Partial<HfServerOptions> = {}): Promise<HfServer> {
  return startHfServer({
    repos: [{ type: 'dataset', repo: 'xlangai/BRIGHT', commits: { [fixtureCommit]: fixtureData, [pinnedCommit]: fixtureData }, branches: { main: fixtureCommit } }],
    ...options,
  });
}

/** Environment for a spawned CLI or stubbed into this process: our server, our cache, fast retries, online. */
export function hubEnvironment(server: HfServer, cache: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HF_ENDPOINT: server.endpoint,
    HF_HUB_CACHE: cache,
    HF_HUB_OFFLINE: '',
    HF_TOKEN: '',
    REASONIR_HUB_BACKOFF_MS: '1',
    REASONIR_HUB_RETRIES: '3',
    ...extra,
  };
}

export const ponyExamples = 'examples/pony-00000-of-00001.parquet';

/**
 * `bytes` copied into the own parquet reader's memory (page-loops.ts) where a column chunk would be, and scratch
 * room past them for `values` values: the page loops read and write only that memory.
 */
export function inPageMemory(bytes: Uint8Array, values: number): { page: Buffer; base: number; scratch: number } {
  const loops = pageLoops();
  const base = 1 << 17;
  const scratch = (base + bytes.length + 7) & ~7;
  loops.room(scratch + scratchBytes(values));
  loops.heap.set(bytes, base);
  return { page: loops.heap, base, scratch };
}

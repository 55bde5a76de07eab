import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnReasonir } from './helpers/cli.js';

/** What only a real process shows: exit statuses, and results on stdout kept apart from logs on stderr. */
describe('reasonir as a process', () => {
  it('exits 0 with help on stdout and nothing on stderr', async () => {
    const result = await spawnReasonir(['--help']);
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout).toContain('Usage: reasonir');
  });

  it('exits 2 on a usage error, with the message on stderr only', async () => {
    const result = await spawnReasonir(['tasks', '--bogus']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it('exits 3 on unreadable input, naming the file on stderr', async () => {
    const result = await spawnReasonir(['score', '--run', 'no/such/run.txt', '--qrels', 'no/such/qrels.txt']);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toMatch(/^error: .*no\/such\//m);
  });

  it("honours --quiet for the whole run: main()'s run context is the process's own", async () => {
    const args = ['eval', '--task', 'pony', '--data-dir', 'test/fixtures/bright/data', '--no-progress'];
    const work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-quiet-'));
    try {
      const env = { REASONIR_CACHE: path.join(work, 'cache') };
      // the fixture's row count differs from the pinned revision's: a warning, on stderr unless --quiet
      const loud = await spawnReasonir([...args, '--out', path.join(work, 'loud')], { env });
      expect(loud.code, loud.stderr).toBe(0);
      expect(loud.stderr).toContain('warning: documents/pony');
      const quiet = await spawnReasonir(['-q', ...args, '--out', path.join(work, 'quiet')], { env });
      expect(quiet).toMatchObject({ code: 0, stderr: '' });
      expect(quiet.stdout).toBe(loud.stdout);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('flushes a large result through a pipe before exiting, with logs apart on stderr', async () => {
    const lines = 20_000;
    const result = await spawnReasonir(['analyze'], { input: 'running cats\n'.repeat(lines) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('["run","cat"]\n'.repeat(lines));
    expect(result.stderr).toBe('');
  });
});

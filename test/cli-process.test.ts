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

  it('flushes a large result through a pipe before exiting, with logs apart on stderr', async () => {
    const lines = 20_000;
    const result = await spawnReasonir(['analyze'], { input: 'running cats\n'.repeat(lines) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('["run","cat"]\n'.repeat(lines));
    expect(result.stderr).toBe('');
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireFileLock, type LockOptions } from '../../src/core/file-lock.js';
import { withRunContext } from '../../src/core/run-context.js';

const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-file-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const options: LockOptions = { isDone: async () => false, progress: async () => 0, stallMs: 60_000, noticeMs: 100, what: 'the test blob' };

/**
 * Takes and releases the lock with the run's stderr captured, and returns that; `pathVariable` replaces PATH
 * meanwhile; `onLog` sees the log so far after each write.
 */
async function lockWithLog(file: string, pathVariable = process.env.PATH, onLog?: (log: string) => void): Promise<string> {
  let stderr = '';
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      stderr += String(chunk);
      onLog?.(stderr);
      done();
    },
  });
  const saved = process.env.PATH;
  process.env.PATH = pathVariable;
  try {
    const outcome = await withRunContext({ stdout: sink, stderr: sink, env: process.env, quiet: false, progress: false }, () => acquireFileLock(file, options));
    expect(outcome.kind).toBe('held');
    if (outcome.kind === 'held') await outcome.release();
  } finally {
    process.env.PATH = saved;
  }
  return stderr;
}

describe.runIf(process.platform === 'linux')('acquireFileLock', () => {
  it('says nothing while its own flock(1) is slow to start (a loaded machine), since nobody holds the lock', async () => {
    // a flock(1) that takes 0.6 s to start: six notice periods with the lock free
    const bin = path.join(dir, 'slow-bin');
    mkdirSync(bin);
    const realFlock = execFileSync('sh', ['-c', 'command -v flock'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin, 'flock'), `#!/bin/sh\nsleep 0.6\nexec ${realFlock} "$@"\n`);
    chmodSync(path.join(bin, 'flock'), 0o755);
    expect(await lockWithLog(path.join(dir, 'slow.lock'), `${bin}:${process.env.PATH}`)).toBe('');
  });

  it('says whom it waits for while another process holds the lock', async () => {
    const file = path.join(dir, 'held.lock');
    writeFileSync(file, '');
    // the owner holds the lock until the notice is out (a fixed hold lost the race on a loaded machine, where our
    // own flock(1) can take longer than the hold to start)
    const owner = spawn('flock', ['--exclusive', file, '-c', 'echo locked; read line'], { stdio: ['pipe', 'pipe', 'ignore'] });
    await new Promise((resolve) => owner.stdout.once('data', resolve));
    const release = (log: string) => void (log.includes('waiting for') && owner.stdin.end());
    expect(await lockWithLog(file, process.env.PATH, release)).toMatch(new RegExp(`^waiting for the test blob: ${file.replace(/[.]/g, '\\.')} is held by pid \\d+ \\(`, 'm'));
  });
});

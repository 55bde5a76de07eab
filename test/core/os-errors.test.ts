/**
 * Ordinary operating-system conditions are exit 3 with the path and a remedy, found before the expensive work,
 * never exit 70 and never a spinning loop. Real files where this machine can produce the condition (a file where a
 * folder should be, a folder where a file should be, /proc refusing mkdir); errno-carrying errors for the rest
 * (tests run as root here, which no permission bit stops, and a full disk cannot be made safely).
 */
import { mkdirSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWritableDirectory, makeDirectory } from '../../src/core/directories.js';
import { classifyOsError } from '../../src/core/os-errors.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
const trecCase = path.join(repoRoot, 'test', 'fixtures', 'trec_eval', 'p01_biology_random_scores');
let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-os-errors-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('classifyOsError', () => {
  const errno = (code: string, file = '/data/out/run.trec') => Object.assign(new Error(`${code}: x, open '${file}'`), { code, path: file });
  it.each([
    ['EACCES', 'permission denied on /data/out/run.trec; fix its permissions'],
    ['EPERM', 'operation not permitted on /data/out/run.trec'],
    ['ENOSPC', 'no space left on the device holding /data/out/run.trec; free some space or point reasonir elsewhere (--out, REASONIR_CACHE'],
    ['EROFS', '/data/out/run.trec is on a read-only file system; point reasonir elsewhere'],
    ['ENOTDIR', 'a part of /data/out/run.trec is a file, not a folder'],
    ['EISDIR', '/data/out/run.trec is a folder where a file is expected'],
    ['EMFILE', 'too many open files in this process (at /data/out/run.trec); raise the limit (ulimit -n 4096)'],
  ])('%s is exit 3 naming the path and the remedy', (code, message) => {
    const error = classifyOsError(errno(code));
    expect(error).toMatchObject({ exitCode: 3, code: `env.os.${code.toLowerCase()}` });
    expect(error!.message).toBe(`${code}: ${error!.message.slice(code.length + 2)}`);
    expect(error!.message).toContain(message);
  });
  it('leaves unknown errors alone (they are bugs: exit 70)', () => {
    expect(classifyOsError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyOsError(errno('EWHATEVER'))).toBeUndefined();
  });
});

describe('folders', () => {
  it('makeDirectory ends on /proc, which answers ENOENT to every mkdir (no spinning)', async () => {
    await expect(makeDirectory('/proc/reasonir-test/a/b')).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('the folder /proc/reasonir-test cannot be created') });
  });
  it('checkWritableDirectory names a file in the way, and leaves no probe behind', async () => {
    writeFileSync(path.join(work, 'plain-file'), 'x');
    await expect(checkWritableDirectory(path.join(work, 'plain-file', 'out'), 'the output folder (--out)')).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining(`the output folder (--out) ${path.join(work, 'plain-file', 'out')} is not writable: ENOTDIR: a part of ${path.join(work, 'plain-file', 'out')} is a file`),
    });
    mkdirSync(path.join(work, 'fine'));
    await checkWritableDirectory(path.join(work, 'fine', 'deeper'), 'x');
    expect(await fs.readdir(path.join(work, 'fine', 'deeper'))).toEqual([]);
  });
});

describe('the commands', () => {
  it('eval --out /proc/foo fails at once with exit 3 instead of looping in mkdir', async () => {
    const started = Date.now();
    const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', '/proc/reasonir-foo'], { env: { REASONIR_CACHE: path.join(work, 'cache') } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error: the folder /proc/reasonir-foo cannot be created (the file system refused');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('eval --out under a file, and a file named results, are exit 3 before any retrieval', async () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, 'x');
    const under = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', path.join(file, 'out')], { env: { REASONIR_CACHE: path.join(work, 'cache') } });
    expect(under.code).toBe(3);
    expect(under.stderr).toContain(`ENOTDIR: a part of ${path.join(file, 'out')} is a file, not a folder`);
    expect(under.stderr).not.toContain('BM25');

    const cwd = path.join(work, 'cwd');
    mkdirSync(cwd);
    writeFileSync(path.join(cwd, 'results'), 'not a folder');
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const named = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData], { env: { REASONIR_CACHE: path.join(work, 'cache') } });
      expect(named.code).toBe(3);
      expect(named.stderr).toContain(`the results folder results is not writable: ENOTDIR: a part of ${path.join(cwd, 'results')} is a file`);
    } finally {
      process.chdir(previous);
    }
  });

  it('a cache folder that is a file is exit 3 before any retrieval', async () => {
    const cache = path.join(work, 'cache-file');
    writeFileSync(cache, 'x');
    const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', path.join(work, 'out-cache')], { env: { REASONIR_CACHE: cache } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`the cache folder (REASONIR_CACHE) ${cache} is not writable: ENOTDIR`);
  });

  it('score --out an existing file, and report --out an existing folder, are exit 3 naming the path', async () => {
    const file = path.join(work, 'score-out');
    writeFileSync(file, 'x');
    const score = await runReasonir(['score', '--run', path.join(trecCase, 'run.txt.gz'), '--qrels', path.join(trecCase, 'qrels.txt'), '--out', file]);
    expect(score.code).toBe(3);
    expect(score.stderr).toContain(`the output folder (--out) ${file} is not writable: ENOTDIR`);

    const folder = path.join(work, 'report-out');
    mkdirSync(folder);
    const report = await runReasonir(['report', path.join(repoRoot, 'test', 'fixtures', 'results', 'run-a'), '--out', folder]);
    expect(report.stderr).not.toContain('internal error');
    expect(report.code).toBe(3);
    expect(report.stderr).toContain(folder);
  });
});

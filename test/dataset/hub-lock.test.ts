/**
 * reasonir and a process that downloads like Python huggingface_hub (same lock file, same flock, same
 * `.incomplete` name) on one cache at the same time: they exclude each other, nobody corrupts a blob, and a lock
 * owner that makes no progress never hangs us.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import type { HfServer } from '../helpers/hf-server.js';
import { brightServer, fixtureCommit, fixtureData, hubEnvironment, ponyExamples, tempDir } from './support.js';

const repoFolder = 'datasets--xlangai--BRIGHT';
const source = path.join(fixtureData, ponyExamples);
const examplesSha = createHash('sha256').update(readFileSync(source)).digest('hex');
const script = path.join(repoRoot, 'test', 'helpers', 'python-hub-downloader.py');
const python = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0 ? 'python3' : undefined;
const flock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
const skipReason = !python ? 'python3 with fcntl is not installed' : !flock ? 'flock(1) from util-linux is not installed' : undefined;

/** Starts the imitation and resolves once it printed `until` (its output so far is in `output()`). */
function startPython(mode: string, cache: string, until: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(python!, [script, mode, cache, repoFolder, examplesSha, source], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes(until)) resolve({ child, output: () => output });
    });
    child.once('exit', (code) => reject(new Error(`python imitation exited with ${code} before printing ${until}: ${output}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

describe('sharing the HF cache with a huggingface_hub-like downloader', () => {
  if (skipReason) {
    it('excludes a huggingface_hub-like downloader through the same lock', (ctx) => ctx.skip(skipReason));
    return;
  }
  let server: HfServer;
  let work: { dir: string; remove: () => void };
  let children: ChildProcess[];
  beforeEach(async () => {
    server = await brightServer();
    work = tempDir('lock');
    children = [];
  });
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await server.close();
    work.remove();
  });

  const cache = () => path.join(work.dir, 'hub');
  const blobs = () => path.join(cache(), repoFolder, 'blobs');
  const download = (extra: Record<string, string> = {}) =>
    runReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', fixtureCommit], { env: hubEnvironment(server, cache(), extra) });

  it('waits while Python holds the blob lock and downloads, then uses its blob without downloading again', async () => {
    const owner = await startPython('download', cache(), 'locked');
    children.push(owner.child);
    const result = await download();
    expect(await exited(owner.child)).toBe(0);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`cached      ${ponyExamples}`);
    expect(server.requestsFor('/cdn/')).toEqual([]);
    expect(readdirSync(blobs())).toEqual([examplesSha]);
    expect(createHash('sha256').update(readFileSync(path.join(blobs(), examplesSha))).digest('hex')).toBe(examplesSha);
  });

  it('holds the same lock Python uses while it downloads', async () => {
    // the CDN answers only once Python has seen the lock taken (or the probes ran out): the download is in flight
    // throughout, however slow python3 starts on a busy machine (a fixed 6 s delay before)
    let release!: () => void;
    server.fail({ server: 'cdn', heldUntil: new Promise<void>((resolve) => (release = resolve)), times: 1 });
    const running = download();
    let finished = false;
    void running.then(() => (finished = true));
    // ask Python, again and again while reasonir downloads, whether it could take the blob's lock
    let probes = 0;
    let busy = false;
    while (!finished && !busy && probes < 100) {
      probes++;
      busy = (await startPython('probe', cache(), '\n')).output().trim() === 'busy';
    }
    release();
    expect(busy).toBe(true);
    expect((await running).code).toBe(0);
    const after = await startPython('probe', cache(), '\n');
    expect(after.output().trim()).toBe('free');
    // the lock file stays (deleting a flock'ed file would let two processes lock two files)
    expect(existsSync(path.join(cache(), '.locks', repoFolder, `${examplesSha}.lock`))).toBe(true);
  });

  it('says whom it waits for, and after REASONIR_LOCK_STALL_S without progress downloads privately', async () => {
    const owner = await startPython('stall', cache(), 'locked');
    children.push(owner.child);
    const result = await download({ REASONIR_LOCK_STALL_S: '2' });
    expect(result.code).toBe(0);
    const pid = String(owner.child.pid);
    expect(result.stderr).toMatch(new RegExp(`waiting for xlangai/BRIGHT@f1f1f1f/${ponyExamples.replace(/\./g, '\\.')}: \\S+\\.lock is held by pid ${pid} \\(\\S*python3? `));
    expect(result.stderr).toMatch(new RegExp(`warning: \\S+\\.lock is held by pid ${pid} .*which made no progress on .* for 2 s; downloading .* into a private temporary file instead`));
    // our blob is verified; Python's partial file is left to Python
    expect(createHash('sha256').update(readFileSync(path.join(blobs(), examplesSha))).digest('hex')).toBe(examplesSha);
    expect(readdirSync(blobs()).sort()).toEqual([examplesSha, `${examplesSha}.incomplete`]);
    expect(owner.child.exitCode).toBe(null);
  });
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const distBundle = path.join(repoRoot, 'dist', 'cli', 'bundle');

let work: string;
let bundleDir: string;
let cacheDir: string;

/** Chunks of the test's bundle: `a` requires `b`, whose code only a function call shows. */
function writeChunk(name: 'a' | 'b', body = 'x * 2 + 1'): void {
  if (name === 'a') writeFileSync(path.join(bundleDir, 'a-AAAAaaa1.js'), '"use strict";\nconst b = require("./b-BBBB_bb2.js");\nmodule.exports = () => b.twice(20) + b.name();\n');
  else writeFileSync(path.join(bundleDir, 'b-BBBB_bb2.js'), `"use strict";\nexports.twice = (x) => ${body};\nexports.name = () => "-" + __filename.slice(-5);\n`);
}

/**
 * One CLI process's worth, in a fresh process as the CLI runs (in this one V8's own in-memory cache of compiled
 * scripts would answer first): the built code cache installed over the test's bundle, `a` run, the cache saved as
 * main() does at the end.
 */
function runProcess(): { value: unknown; reused: number; saved: string[] } {
  const chunk = readdirSync(distBundle).find((name) => /^code-cache-[A-Za-z0-9_-]{8}\.js$/.test(name));
  const script = `
    const cache = require(${JSON.stringify(path.join(distBundle, chunk ?? 'code-cache.js'))}).useCodeCache(${JSON.stringify(bundleDir)}, ${JSON.stringify(cacheDir)});
    const value = require(${JSON.stringify(path.join(bundleDir, 'a-AAAAaaa1.js'))})();
    if (require(${JSON.stringify(path.join(bundleDir, 'plain.js'))}) !== 7) throw new Error('plain.js');
    console.log(JSON.stringify({ value, reused: cache.reused, saved: cache.save().sort() }));`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout) as { value: unknown; reused: number; saved: string[] };
}

function cacheFiles(): string[] {
  const root = path.join(cacheDir, 'code');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((folder) => readdirSync(path.join(root, folder)).map((name) => path.join(root, folder, name)));
}

/** The one cache file, and where in it a chunk's entry keeps the sha1 of its data and the data itself. */
function entryOf(chunk: string): { file: string; sha1At: number; dataAt: number; length: number } {
  const [file] = cacheFiles();
  if (file === undefined) throw new Error('no cache file');
  const bytes = readFileSync(file);
  const count = bytes.readUInt32LE(4);
  let at = 12;
  let found: { sha1At: number; before: number; length: number } | undefined;
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = bytes.readUInt16LE(at);
    const name = bytes.toString('utf8', at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    const length = bytes.readUInt32LE(at + 36);
    if (name === chunk) found = { sha1At: at + 16, before: lengths.reduce((sum, n) => sum + n, 0), length };
    lengths.push(length);
    at += 40;
  }
  if (found === undefined) throw new Error(`no cache entry for ${chunk}`);
  return { file, sha1At: found.sha1At, dataAt: bytes.readUInt32LE(8) + found.before, length: found.length };
}

/** The chunks the cache file holds code for. */
function cachedChunks(): string[] {
  const [file] = cacheFiles();
  const bytes = readFileSync(file!);
  const names: string[] = [];
  let at = 12;
  for (let i = 0; i < bytes.readUInt32LE(4); i++) {
    const nameLength = bytes.readUInt16LE(at);
    names.push(bytes.toString('utf8', at + 2, at + 2 + nameLength));
    at += 2 + nameLength + 40;
  }
  return names.sort();
}

beforeEach(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'reasonir-code-cache-'));
  bundleDir = path.join(work, 'bundle');
  cacheDir = path.join(work, 'cache');
  mkdirSync(bundleDir);
  writeChunk('a');
  writeChunk('b');
  writeFileSync(path.join(bundleDir, 'plain.js'), '"use strict";\nmodule.exports = 7;\n');
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the CLI code cache (src/cli/code-cache.ts)', () => {
  it('a first process compiles the hashed chunks and saves their code; the next one runs it from the cache', () => {
    const first = runProcess();
    expect(first).toEqual({ value: '41-b2.js', reused: 0, saved: ['a-AAAAaaa1.js', 'b-BBBB_bb2.js'] });
    // one file, with an entry per hashed chunk, none for a chunk without a content hash in its name, no temporary left
    expect(cacheFiles().map((file) => path.basename(file))).toEqual(['chunks.v8']);
    expect(cachedChunks()).toEqual(['a-AAAAaaa1.js', 'b-BBBB_bb2.js']);
    expect(path.basename(path.dirname(cacheFiles()[0]!))).toMatch(new RegExp(`^node-${process.version.replace(/\./g, '\\.')}-${process.platform}-${process.arch}-[0-9a-f]{12}$`));
    const second = runProcess();
    expect(second).toEqual({ value: '41-b2.js', reused: 2, saved: [] });
  });

  it('a chunk edited in place to the same length runs its new code (V8 alone would run the old one)', () => {
    runProcess();
    const b = path.join(bundleDir, 'b-BBBB_bb2.js');
    const before = statSync(b);
    writeChunk('b', 'x * 3 + 1');
    expect(statSync(b).size).toBe(before.size);
    // file times are coarse (a jiffy): make sure this edit's is another
    utimesSync(b, before.atime, new Date(before.mtimeMs + 1000));
    expect(runProcess()).toEqual({ value: '61-b2.js', reused: 1, saved: ['b-BBBB_bb2.js'] });
    expect(runProcess()).toEqual({ value: '61-b2.js', reused: 2, saved: [] });
  });

  it('damaged cache data is not handed to V8 (it does not checksum it): compiled from source and written again', () => {
    runProcess();
    const { file, dataAt, length } = entryOf('b-BBBB_bb2.js');
    const bytes = readFileSync(file);
    const last = dataAt + length - 1;
    bytes.writeUInt8(bytes.readUInt8(last) ^ 0x55, last);
    writeFileSync(file, bytes);
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 1, saved: ['b-BBBB_bb2.js'] });
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 2, saved: [] });
  });

  it('a cache V8 rejects (another V8 or other flags) is compiled from source and replaced', () => {
    runProcess();
    const { file, sha1At, dataAt, length } = entryOf('a-AAAAaaa1.js');
    const bytes = readFileSync(file);
    // data V8 does not recognise, under an entry that is right for it (the chunk's size and mtime, the data's sha1)
    const data = Buffer.alloc(length, 0x5a);
    createHash('sha1').update(data).digest().copy(bytes, sha1At);
    data.copy(bytes, dataAt);
    writeFileSync(file, bytes);
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 1, saved: ['a-AAAAaaa1.js'] });
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 2, saved: [] });
  });

  it("removes the caches of chunks the bundle no longer has when it writes (a rebuild's chunks have new names), a killed writer's temporary file and an earlier layout's files", () => {
    runProcess();
    const folder = path.dirname(cacheFiles()[0]!);
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const dead = path.join(folder, `chunks.v8.${deadPid}.0badc0de.tmp`);
    const live = path.join(folder, `chunks.v8.${process.pid}.0badc0de.tmp`);
    writeFileSync(dead, 'half');
    writeFileSync(live, 'being written');
    writeFileSync(path.join(folder, 'a-AAAAaaa1.js.v8'), 'a file per chunk, as before');
    rmSync(path.join(bundleDir, 'b-BBBB_bb2.js'));
    writeFileSync(path.join(bundleDir, 'a-AAAAaaa1.js'), '"use strict";\nconst b = require("./b-CCCC_cc3.js");\nmodule.exports = () => b.twice(20) + b.name();\n');
    writeFileSync(path.join(bundleDir, 'b-CCCC_cc3.js'), '"use strict";\nexports.twice = (x) => x - 1;\nexports.name = () => "-" + __filename.slice(-5);\n');
    utimesSync(path.join(bundleDir, 'a-AAAAaaa1.js'), new Date(), new Date(Date.now() + 1000));
    expect(runProcess()).toEqual({ value: '19-c3.js', reused: 0, saved: ['a-AAAAaaa1.js', 'b-CCCC_cc3.js'] });
    // this test's process still runs: its temporary name may be a write in progress
    expect(cacheFiles().map((file) => path.basename(file)).sort()).toEqual(['chunks.v8', path.basename(live)]);
    expect(cachedChunks()).toEqual(['a-AAAAaaa1.js', 'b-CCCC_cc3.js']);
  });

  it('a process that compiles some chunks keeps the code of the others it did not load', () => {
    runProcess();
    // b alone runs in the next process, edited: only its entry is new, a's stays as it was
    const b = path.join(bundleDir, 'b-BBBB_bb2.js');
    const before = statSync(b);
    writeChunk('b', 'x * 3 + 1');
    utimesSync(b, before.atime, new Date(before.mtimeMs + 1000));
    const chunk = readdirSync(distBundle).find((name) => /^code-cache-[A-Za-z0-9_-]{8}\.js$/.test(name));
    const script = `
      const cache = require(${JSON.stringify(path.join(distBundle, chunk ?? 'code-cache.js'))}).useCodeCache(${JSON.stringify(bundleDir)}, ${JSON.stringify(cacheDir)});
      const value = require(${JSON.stringify(b)}).twice(20);
      console.log(JSON.stringify({ value, saved: cache.save() }));`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ value: 61, saved: ['b-BBBB_bb2.js'] });
    expect(cachedChunks()).toEqual(['a-AAAAaaa1.js', 'b-BBBB_bb2.js']);
    expect(runProcess()).toEqual({ value: '61-b2.js', reused: 2, saved: [] });
  });

  it('a cache file cut short is no cache: every chunk compiles from source and the file is written whole again', () => {
    runProcess();
    const [file] = cacheFiles();
    const bytes = readFileSync(file!);
    writeFileSync(file!, bytes.subarray(0, bytes.length - 1));
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 0, saved: ['a-AAAAaaa1.js', 'b-BBBB_bb2.js'] });
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 2, saved: [] });
  });

  it('a cache folder it cannot create costs nothing but the cache: the code runs and save() says nothing was written', () => {
    writeFileSync(path.join(work, 'not-a-folder'), '');
    cacheDir = path.join(work, 'not-a-folder');
    expect(runProcess()).toEqual({ value: '41-b2.js', reused: 0, saved: [] });
  });
});

describe('the built CLI', () => {
  it('keeps its code cache under REASONIR_CACHE: the second run reuses it and prints the same', () => {
    const env = { ...process.env, REASONIR_CACHE: cacheDir, NO_COLOR: '1' };
    const run = () => spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), 'tasks', '--json'], { cwd: repoRoot, env, encoding: 'utf8' });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const files = cacheFiles();
    expect(files.length).toBe(1);
    expect(cachedChunks().length).toBeGreaterThan(3);
    const mtimes = files.map((file) => statSync(file).mtimeMs);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    // nothing was compiled from source again, so nothing was written again
    expect(cacheFiles()).toEqual(files);
    expect(files.map((file) => statSync(file).mtimeMs)).toEqual(mtimes);
    // --version loads no command and keeps no cache
    rmSync(path.join(cacheDir, 'code'), { recursive: true });
    const version = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), '--version'], { cwd: repoRoot, env, encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(cacheFiles()).toEqual([]);
  });
});

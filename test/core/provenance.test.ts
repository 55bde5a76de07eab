import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitStateOf } from '../../src/core/provenance.js';

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();

describe('git provenance of a checkout (one git status)', () => {
  let work: string;
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-provenance-'));
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('reports the commit, dirty only for changed tracked files; null outside a checkout and before the first commit', async () => {
    const repo = path.join(work, 'repo');
    await fs.mkdir(repo);
    expect(await gitStateOf(repo)).toBeNull();
    git(repo, 'init', '-q');
    expect(await gitStateOf(repo)).toBeNull();
    await fs.writeFile(path.join(repo, 'a.txt'), 'one\n');
    git(repo, 'add', 'a.txt');
    git(repo, 'commit', '-q', '-m', 'first');
    const commit = git(repo, 'rev-parse', 'HEAD');
    expect(await gitStateOf(repo)).toEqual({ commit, dirty: false });
    // untracked files do not make a checkout dirty, changed or staged tracked ones do
    await fs.writeFile(path.join(repo, 'untracked.txt'), 'x\n');
    expect(await gitStateOf(repo)).toEqual({ commit, dirty: false });
    await fs.writeFile(path.join(repo, 'a.txt'), 'two\n');
    expect(await gitStateOf(repo)).toEqual({ commit, dirty: true });
    git(repo, 'add', 'a.txt');
    expect(await gitStateOf(repo)).toEqual({ commit, dirty: true });
    git(repo, 'commit', '-q', '-m', 'second');
    expect(await gitStateOf(repo)).toEqual({ commit: git(repo, 'rev-parse', 'HEAD'), dirty: false });
  });
});

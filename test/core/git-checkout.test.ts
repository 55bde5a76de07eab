import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanCheckoutCommit } from '../../src/core/git-checkout.js';

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
/** What `git status` itself says: any tracked change (staged or not) makes the checkout dirty. */
const gitDirty = (dir: string) => git(dir, 'status', '--porcelain=v2', '--untracked-files=no') !== '';

/** Files written, then dated 100 s back, so the index written after them does not see them as racily clean. */
async function writeOld(dir: string, files: Record<string, string>): Promise<void> {
  const past = Date.now() / 1000 - 100;
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
    await fs.utimes(file, past, past);
  }
}

describe('a clean checkout read from its .git files (no git process)', () => {
  let work: string;
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-git-checkout-'));
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  async function cleanRepo(name: string): Promise<string> {
    const repo = path.join(work, name);
    await fs.mkdir(repo);
    git(repo, 'init', '-q');
    await writeOld(repo, { 'a.txt': 'one\n', 'src/b.ts': 'export {};\n', 'empty.txt': '' });
    await fs.symlink('a.txt', path.join(repo, 'link'));
    await fs.lutimes(path.join(repo, 'link'), Date.now() / 1000 - 100, Date.now() / 1000 - 100);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'first');
    return repo;
  }

  it('answers HEAD for a checkout git calls clean, null outside a checkout and before the first commit', async () => {
    const plain = path.join(work, 'plain');
    await fs.mkdir(plain);
    expect(cleanCheckoutCommit(plain)).toBeNull();
    git(plain, 'init', '-q');
    expect(cleanCheckoutCommit(plain)).toBeNull();
    const repo = await cleanRepo('clean');
    expect(gitDirty(repo)).toBe(false);
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
    // untracked files are not git status's concern here either
    await writeOld(repo, { 'untracked.txt': 'x\n' });
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
    // a detached HEAD names the commit itself
    git(repo, 'checkout', '-q', '--detach');
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
  });

  it('leaves to git every checkout with a changed, deleted, re-moded or staged tracked file', async () => {
    const repo = await cleanRepo('changes');
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(cleanCheckoutCommit(repo)).toBe(head);
    await writeOld(repo, { 'a.txt': 'two, longer\n' });
    expect(gitDirty(repo)).toBe(true);
    expect(cleanCheckoutCommit(repo)).toBeNull();
    // staged: the index's stat data matches the file again, but the index is no longer HEAD's tree
    git(repo, 'add', 'a.txt');
    expect(gitDirty(repo)).toBe(true);
    expect(cleanCheckoutCommit(repo)).toBeNull();
    git(repo, 'commit', '-q', '-m', 'second');
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
    // HEAD moved back, the index (and its cached tree) still the second commit's: staged changes
    git(repo, 'reset', '-q', '--soft', 'HEAD~1');
    expect(gitDirty(repo)).toBe(true);
    expect(cleanCheckoutCommit(repo)).toBeNull();
    git(repo, 'commit', '-q', '-m', 'second again');
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
    // committed as executable while the file is not: only the mode differs (chmod on the file would change its ctime too)
    git(repo, 'update-index', '--chmod=+x', 'src/b.ts');
    git(repo, 'commit', '-q', '-m', 'executable');
    expect(gitDirty(repo)).toBe(true);
    expect(cleanCheckoutCommit(repo)).toBeNull();
    git(repo, 'update-index', '--chmod=-x', 'src/b.ts');
    git(repo, 'commit', '-q', '-m', 'not executable');
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
    await fs.rm(path.join(repo, 'empty.txt'));
    expect(gitDirty(repo)).toBe(true);
    expect(cleanCheckoutCommit(repo)).toBeNull();
  });

  it('leaves to git an entry modified no earlier than the index was written (racily clean)', async () => {
    const repo = await cleanRepo('racy');
    expect(cleanCheckoutCommit(repo)).toBe(git(repo, 'rev-parse', 'HEAD'));
    // the index dated back to its files' time: their stat data alone no longer proves them unchanged
    const { mtimeMs } = await fs.stat(path.join(repo, 'a.txt'));
    await fs.utimes(path.join(repo, '.git', 'index'), mtimeMs / 1000, mtimeMs / 1000);
    expect(cleanCheckoutCommit(repo)).toBeNull();
  });

  it('leaves to git intent-to-add and assume-unchanged entries', async () => {
    const repo = await cleanRepo('flags');
    await writeOld(repo, { 'new.txt': 'new\n' });
    git(repo, 'add', '--intent-to-add', 'new.txt');
    expect(gitDirty(repo)).toBe(true);
    expect(cleanCheckoutCommit(repo)).toBeNull();
    git(repo, 'rm', '-q', '--cached', 'new.txt');
    git(repo, 'update-index', '--assume-unchanged', 'a.txt');
    expect(cleanCheckoutCommit(repo)).toBeNull();
  });

  it('reads packed refs and packed commits, and a linked worktree through its .git file', async () => {
    const repo = await cleanRepo('packed');
    git(repo, 'gc', '-q');
    await expect(fs.readdir(path.join(repo, '.git', 'refs', 'heads'))).resolves.toEqual([]);
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(cleanCheckoutCommit(repo)).toBe(head);

    const linked = path.join(work, 'linked');
    git(repo, 'worktree', 'add', '-q', linked);
    // the checkout just wrote its files and index in the same instant: dated back and refreshed, as after any later git status
    const past = Date.now() / 1000 - 100;
    for (const name of ['a.txt', 'src/b.ts', 'empty.txt', 'link']) await fs.lutimes(path.join(linked, name), past, past);
    git(linked, 'update-index', '-q', '--refresh');
    expect(gitDirty(linked)).toBe(false);
    expect(cleanCheckoutCommit(linked)).toBe(head);
    await writeOld(linked, { 'src/b.ts': 'export const changed = 1;\n' });
    expect(cleanCheckoutCommit(linked)).toBeNull();
  });
});

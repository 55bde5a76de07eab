import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanCheckoutCommit } from './git-checkout.js';
import { packageRoot, packageVersion } from './version.js';

/** What produced a result: the harness (and its git commit when run from a checkout) and the libraries that compute. */
export interface RuntimeVersions {
  reasonir: string;
  node: string;
  /** onnxruntime-node, which runs every encoder and the exact search; null when it is not installed. */
  onnxruntime: string | null;
  /** @huggingface/tokenizers, which tokenizes for the encoders. */
  tokenizers: string | null;
  /** The checkout's commit, and whether tracked files differ from it; null outside a git checkout. */
  git: { commit: string; dirty: boolean } | null;
}

/** The version in a dependency's package.json, looked up beside this package (where npm installs it). */
function dependencyVersion(name: string): string | null {
  for (let dir = packageRoot; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
    if (path.dirname(dir) === dir) return null;
  }
}

/** A git command's stdout, or undefined when it fails (no git, not a checkout, a timeout). */
async function git(dir: string, args: string[]): Promise<string | undefined> {
  // loaded only when git must run: cleanCheckoutCommit usually answers without it
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: 10_000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/**
 * The commit checked out in `dir` and whether tracked files differ from it, null outside a git checkout. One
 * `git status --porcelain=v2 --branch` answers both (its `# branch.oid` header is HEAD's commit, any other line a
 * tracked change): one child process rather than two, since each fork from a running process costs its main thread
 * ~10 ms here. A git too old for it is asked the two questions separately. A checkout whose files show it clean
 * (git-checkout.ts: every tracked file's stat data as the index recorded it, the index being HEAD's tree) needs no
 * git at all.
 */
export async function gitStateOf(dir: string): Promise<RuntimeVersions['git']> {
  // a checkout has .git (a folder, or a file in a worktree); an npm install has neither
  if (!existsSync(path.join(dir, '.git'))) return null;
  const clean = cleanCheckoutCommit(dir);
  if (clean !== null) return { commit: clean, dirty: false };
  const status = await git(dir, ['status', '--porcelain=v2', '--branch', '--untracked-files=no']);
  if (status === undefined) {
    const head = await git(dir, ['rev-parse', 'HEAD']);
    if (head === undefined || !/^[0-9a-f]{40}$/.test(head.trim())) return null;
    const changes = await git(dir, ['status', '--porcelain', '--untracked-files=no']);
    return { commit: head.trim(), dirty: changes === undefined || changes.trim() !== '' };
  }
  let commit: string | undefined;
  let dirty = false;
  for (const line of status.split('\n')) {
    if (line.startsWith('# branch.oid ')) commit = line.slice('# branch.oid '.length).trim();
    else if (line !== '' && !line.startsWith('#')) dirty = true;
  }
  // "(initial)" in a repository without commits
  return commit !== undefined && /^[0-9a-f]{40}$/.test(commit) ? { commit, dirty } : null;
}

let cached: Promise<RuntimeVersions> | undefined;

/** Collected once per process; the first call starts it (eval does so before loading its first task). */
export function runtimeVersions(): Promise<RuntimeVersions> {
  cached ??= gitStateOf(packageRoot).then((state) => ({
    reasonir: packageVersion(),
    node: process.version,
    onnxruntime: dependencyVersion('onnxruntime-node'),
    tokenizers: dependencyVersion('@huggingface/tokenizers'),
    git: state,
  }));
  return cached;
}

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
function git(args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', packageRoot, ...args], { encoding: 'utf8', timeout: 10_000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

async function gitState(): Promise<RuntimeVersions['git']> {
  // a checkout has .git (a folder, or a file in a worktree); an npm install has neither
  if (!existsSync(path.join(packageRoot, '.git'))) return null;
  // both at once, in the background: forking from a process that already holds a corpus and its results cost ~0.1-0.3 s
  const [head, status] = await Promise.all([git(['rev-parse', 'HEAD']), git(['status', '--porcelain', '--untracked-files=no'])]);
  if (head === undefined || !/^[0-9a-f]{40}$/.test(head.trim())) return null;
  return { commit: head.trim(), dirty: status === undefined || status.trim() !== '' };
}

let cached: Promise<RuntimeVersions> | undefined;

/** Collected once per process; the first call starts it (eval does so before loading its first task). */
export function runtimeVersions(): Promise<RuntimeVersions> {
  cached ??= gitState().then((state) => ({
    reasonir: packageVersion(),
    node: process.version,
    onnxruntime: dependencyVersion('onnxruntime-node'),
    tokenizers: dependencyVersion('@huggingface/tokenizers'),
    git: state,
  }));
  return cached;
}

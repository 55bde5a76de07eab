import { spawnSync } from 'node:child_process';
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

function gitState(): RuntimeVersions['git'] {
  // a checkout has .git (a folder, or a file in a worktree); an npm install has neither
  if (!existsSync(path.join(packageRoot, '.git'))) return null;
  const git = (args: string[]) => spawnSync('git', ['-C', packageRoot, ...args], { encoding: 'utf8', timeout: 10_000 });
  const head = git(['rev-parse', 'HEAD']);
  if (head.status !== 0 || !/^[0-9a-f]{40}$/.test(head.stdout.trim())) return null;
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== '' };
}

let cached: RuntimeVersions | undefined;

export function runtimeVersions(): RuntimeVersions {
  cached ??= {
    reasonir: packageVersion(),
    node: process.version,
    onnxruntime: dependencyVersion('onnxruntime-node'),
    tokenizers: dependencyVersion('@huggingface/tokenizers'),
    git: gitState(),
  };
  return cached;
}

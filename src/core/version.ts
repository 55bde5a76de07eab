import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Root of the installed package (holds package.json and configs/): the nearest folder above this module with both,
 * so it holds whether the code runs from src/, dist/, dist-bench/src/ or the CLI's bundle (dist/cli/bundle/; the
 * package.json in dist/cli/ only says the entry and its chunks are CommonJS).
 */
export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'configs'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`reasonir: no package.json with configs/ beside it above ${start}`);
  }
}

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}

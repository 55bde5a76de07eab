import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot, sharedRoot } from '../helpers/cli.js';

export const fixtures = path.join(repoRoot, 'test', 'fixtures');

/** Reads a text file, gunzipping `.gz`. */
export function readText(file: string): string {
  const bytes = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

export function readJsonLines<T>(file: string): T[] {
  return readText(file)
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

/**
 * Golden files too large to copy into the repository (the BM25 corpus and its expected run, 1.4 MB) are read
 * from ../shared/golden, which CI places beside the clone.
 */
export function sharedGolden(relative: string): string {
  const file = path.join(sharedRoot, 'golden', relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: these tests need the shared golden files beside the clone (../shared/golden)`);
  return file;
}

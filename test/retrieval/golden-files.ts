import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fixturesRoot } from '../helpers/cli.js';

export const fixtures = fixturesRoot;

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

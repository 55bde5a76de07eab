import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { repoRoot } from './cli.js';

/**
 * The modules a fresh process loads to import `file` (a path under dist/), one URL per line as
 * test/helpers/module-census.mjs records them in `census`: what a worker or a stage pays for at start.
 */
export function modulesLoadedBy(file: string, census: string): string[] {
  const child = spawnSync(process.execPath, ['--import', path.join(repoRoot, 'test', 'helpers', 'module-census.mjs'), '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`], {
    env: { ...process.env, REASONIR_MODULE_CENSUS: census },
    encoding: 'utf8',
  });
  expect(child.status, child.stderr).toBe(0);
  return readFileSync(census, 'utf8').split('\n');
}

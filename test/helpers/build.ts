import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * vitest globalSetup: tests that spawn the CLI or worker threads run the compiled dist/, so build it first.
 * tsc emits even when types are wrong; type errors are the type-check step's job (`npm run typecheck`).
 */
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], {
    encoding: 'utf8',
  });
  if (result.status !== 0) process.stderr.write(`warning: tsc reported errors while building dist/:\n${result.stdout}${result.stderr}\n`);
}

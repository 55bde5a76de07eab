import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** vitest globalSetup: tests that spawn the CLI or worker threads run the compiled dist/, so build it first. */
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], {
    stdio: 'inherit',
  });
}

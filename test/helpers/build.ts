import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * vitest globalSetup: tests that spawn the CLI or worker threads run the compiled dist/ (the CLI bundled by
 * tools/bundle-cli.mjs, as `npm run build` leaves it), so build it first, unless dist/ is already newer than every
 * source (after `npm run build`, or an earlier test run): tsc costs 10-20 s on a busy 2-core machine and most runs
 * change nothing it compiles.
 * tsc emits even when types are wrong; type errors are the type-check step's job (`npm run typecheck`).
 */
const root = path.resolve(import.meta.dirname, '..', '..');
const stamp = path.join(root, 'dist', '.built-by-tests');

function newestSourceMtime(): number {
  // folders too: a deleted or renamed source changes its folder's mtime
  let newest = Math.max(...['tsconfig.json', 'package.json', 'tools/bundle-cli.mjs', 'src'].map((name) => statSync(path.join(root, name)).mtimeMs));
  for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
    newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  // `npm run build` leaves no stamp; dist/cli/main.js stands for its output
  const outputs = [stamp, path.join(root, 'dist', 'cli', 'main.js')].filter((file) => existsSync(file));
  return Math.max(0, ...outputs.map((file) => statSync(file).mtimeMs));
}

export default function setup(): void {
  const sourcesChanged = newestSourceMtime();
  if (builtAt() > sourcesChanged) return;
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { encoding: 'utf8' });
  if (result.status !== 0) process.stderr.write(`warning: tsc reported errors while building dist/:\n${result.stdout}${result.stderr}\n`);
  const bundled = spawnSync(process.execPath, [path.join(root, 'tools', 'bundle-cli.mjs'), path.join(root, 'dist')], { cwd: root, encoding: 'utf8' });
  if (bundled.status !== 0) throw new Error(`bundling the CLI failed:\n${bundled.stdout}${bundled.stderr}`);
  if (result.status === 0) writeFileSync(stamp, '');
}

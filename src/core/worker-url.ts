import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from './version.js';

/**
 * The URL of the worker module `file` beside the calling module (`callerUrl`: its import.meta.url). Workers run
 * compiled JavaScript, so a caller running from its TypeScript source (the tests) gets the build's copy in dist/;
 * in the CLI's bundle the worker entries sit beside the chunks (tools/bundle-cli.mjs).
 */
export function workerModuleUrl(callerUrl: string, file: string): URL {
  if (callerUrl.endsWith('.ts')) {
    const folder = path.relative(path.join(packageRoot, 'src'), path.dirname(fileURLToPath(callerUrl)));
    return pathToFileURL(path.join(packageRoot, 'dist', folder, file));
  }
  return new URL(`./${file}`, callerUrl);
}

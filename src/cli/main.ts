#!/usr/bin/env node
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../core/version.js';
import type { CodeCache } from './code-cache.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let code = 0;
  let codeCache: CodeCache | undefined;
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    // answered before the command-line parser and the commands load: for `--version` they were most of its time
    process.stdout.write(`${packageVersion()}\n`);
  } else {
    // every chunk the command loads from here on compiles through the code cache (code-cache.ts)
    const [{ useCodeCache }, { reasonirCacheDir }] = await Promise.all([import('./code-cache.js'), import('../core/cache-dir.js')]);
    codeCache = useCodeCache(path.dirname(fileURLToPath(import.meta.url)), reasonirCacheDir(process.env));
    // a BM25 eval's first analysis worker boots while the command line's modules load (eval-ahead.ts)
    if (argv.includes('eval')) await (await import('./eval-ahead.js')).startEvalWorkerAhead(argv, process.env);
    const [{ processIo }, { runCli }] = await Promise.all([import('./cli-io.js'), import('./run-cli.js')]);
    code = await runCli(argv, processIo(), { ownProcess: true });
  }
  // stdout may still be draining into a pipe; exit once it has flushed
  process.stdout.write('', () => {
    codeCache?.save();
    process.exit(code);
  });
}

// not awaited at the top level: a top-level await anywhere keeps the bundler (tools/bundle-cli.mjs) from merging
// chunks. runCli turns every error into an exit code; a rejection here (the CLI's own files missing) still ends
// the process with Node's report and exit code 1, as an awaited one did
void main();

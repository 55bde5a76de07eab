#!/usr/bin/env node
import { packageVersion } from '../core/version.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let code = 0;
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    // answered before the command-line parser and the commands load: for `--version` they were most of its time
    process.stdout.write(`${packageVersion()}\n`);
  } else {
    // a BM25 eval's first analysis worker boots while the command line's modules load (eval-ahead.ts)
    if (argv.includes('eval')) await (await import('./eval-ahead.js')).startEvalWorkerAhead(argv, process.env);
    const [{ processIo }, { runCli }] = await Promise.all([import('./cli-io.js'), import('./run-cli.js')]);
    code = await runCli(argv, processIo(), { ownProcess: true });
  }
  // stdout may still be draining into a pipe; exit once it has flushed
  process.stdout.write('', () => process.exit(code));
}

// not awaited at the top level: a top-level await anywhere keeps the bundler (tools/bundle-cli.mjs) from merging
// chunks. runCli turns every error into an exit code; a rejection here (the CLI's own files missing) still ends
// the process with Node's report and exit code 1, as an awaited one did
void main();

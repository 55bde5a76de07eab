#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { runCli } from './run-cli.js';

async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), processIo());
  // stdout may still be draining into a pipe; exit once it has flushed
  process.stdout.write('', () => process.exit(code));
}

await main();

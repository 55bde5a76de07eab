/**
 * `npm run bench [-- name...]`: runs the named benchmarks (every bench/<name>.bench.ts when none is named) and
 * prints one table. Each benchmark module exports `run(): Promise<BenchRow[]>` and runs in a process of its own (this
 * file again, with the node options it was given), which hands its rows back through a file: what one module leaves
 * in a process skewed the next one's figures. After the bm25 module (a leetcode-sized build, ~1.1 GB), V8 ran 82
 * mark-compacts during the search module's searches instead of 19 alone, its concurrent marking on the core the
 * two-thread Gemm needs, and the search efficiency read 43-49 % there against 56-63 % alone (same build, load ~2).
 * Each reasonir command runs in a process of its own as well.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './table.js';
import { printTable } from './table.js';

/** `main.js --rows-of NAME FILE`: runs benchmark NAME alone and writes its rows to FILE as JSON. */
const ROWS_OF = '--rows-of';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
if (args[0] === ROWS_OF) {
  const [, name, file] = args;
  const module = (await import(`./${name}.bench.js`)) as { run(): Promise<BenchRow[]> };
  writeFileSync(file!, JSON.stringify(await module.run()));
} else {
  const available = readdirSync(here)
    .filter((file) => file.endsWith('.bench.js'))
    .map((file) => file.slice(0, -'.bench.js'.length))
    .sort();
  const unknown = args.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
  const rows: BenchRow[] = [];
  const folder = mkdtempSync(path.join(os.tmpdir(), 'reasonir-bench-'));
  try {
    for (const name of args.length > 0 ? args : available) {
      process.stderr.write(`bench ${name}...\n`);
      const file = path.join(folder, `${name}.json`);
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ROWS_OF, name, file], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (child.status === 0) rows.push(...(JSON.parse(readFileSync(file, 'utf8')) as BenchRow[]));
      else rows.push({ bench: name, metric: 'benchmark process', value: `exit ${child.status ?? child.signal}`, target: 'exit 0', ok: false });
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  printTable(rows);
}

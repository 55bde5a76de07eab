/**
 * `npm run bench [-- name...]`: runs the named benchmarks (every bench/<name>.bench.ts when none is named)
 * and prints one table. Each benchmark module exports `run(): Promise<BenchRow[]>`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './table.js';
import { printTable } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.js'))
  .map((file) => file.slice(0, -'.bench.js'.length))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
const rows: BenchRow[] = [];
for (const name of requested.length > 0 ? requested : available) {
  process.stderr.write(`bench ${name}...\n`);
  const module = (await import(`./${name}.bench.js`)) as { run(): Promise<BenchRow[]> };
  rows.push(...(await module.run()));
}
printTable(rows);

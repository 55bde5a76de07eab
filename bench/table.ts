/** One measured figure: `target` states the goal and `ok` whether it was met (undefined: informational). */
export interface BenchRow {
  bench: string;
  metric: string;
  value: string;
  target?: string;
  ok?: boolean;
}

export function printTable(rows: BenchRow[]): void {
  const header = ['bench', 'metric', 'value', 'target', 'status'];
  const cells = rows.map((row) => [
    row.bench,
    row.metric,
    row.value,
    row.target ?? '',
    row.ok === undefined ? '' : row.ok ? 'OK' : 'MISSED',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${format(header)}\n${format(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const line of cells) process.stdout.write(`${format(line)}\n`);
}

/** Peak resident set size of this process so far, in MB (Linux reports maxRSS in kB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

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
  // the machine may be shared: the load says how far the figures can be trusted
  const load = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  process.stdout.write(`${os.availableParallelism()} cores, load average at the end ${load}\n`);
  process.stdout.write(`${format(header)}\n${format(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const line of cells) process.stdout.write(`${format(line)}\n`);
}

/**
 * Peak resident set size of this process so far, in MB. Linux's VmHWM belongs to the current address space, while
 * getrusage's maxRSS survives exec and would report the parent's peak in a freshly spawned child.
 */
export function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Runs `node <args>` `repeats` times (stdin from `input`, stdout discarded), timed by bash's `time` keyword: wall
 * seconds and the CPU seconds (user + sys) of that one process and its children, which a busy machine stretches far
 * less than wall time. Fails on a non-zero exit.
 */
export function timeNode(args: string[], repeats: number, input?: Buffer, env?: NodeJS.ProcessEnv): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const child = spawnSync('bash', ['-c', 'TIMEFORMAT="%3R %3U %3S"; time "$@" >/dev/null', 'bash', process.execPath, ...args], {
      input,
      env,
      maxBuffer: 1 << 30,
      stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const times = /(\d+\.\d+) (\d+\.\d+) (\d+\.\d+)\s*$/.exec(child.stderr);
    if (child.status !== 0 || !times) throw new Error(`bench: node ${args.join(' ')} exited ${child.status}: ${child.stderr.slice(0, 500)}`);
    wall.push(Number(times[1]));
    cpu.push(Number(times[2]) + Number(times[3]));
  }
  return { wall, cpu };
}

/** Median of repeated measurements: robust to a busy machine. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

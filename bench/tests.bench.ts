/**
 * `npm run bench -- tests`: the wall time of the README's test command (`npm test`) while another process keeps
 * one core busy (BENCH_BUSY_CORES, default 1), and the slowest test files. Targets: the suite within 4 minutes,
 * no file over 45 s. The full output of `npm test` goes to .bench-tmp/tests.log.
 *
 * Wall time depends on what else runs on the machine, so the table also shows the suite's own CPU time (user +
 * sys of npm test and everything it started) and the load average, to tell a slow suite from a busy machine.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestSummary } from '../test/helpers/summary-reporter.js';
import type { BenchRow } from './table.js';

// compiled to dist-bench/bench/: the repository is two levels up
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SUITE_TARGET_S = 240;
const FILE_TARGET_S = 45;

/** CPU seconds (user + sys) of this process's children that have exited and been waited for (Linux). */
function childrenCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
    // after the command name: cutime and cstime are fields 16 and 17 of stat, 14 and 15 here; clock ticks of 1/100 s
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

export async function run(): Promise<BenchRow[]> {
  const tmp = path.join(repoRoot, '.bench-tmp');
  mkdirSync(tmp, { recursive: true });
  const summaryFile = path.join(tmp, 'tests-summary.json');
  const logFile = path.join(tmp, 'tests.log');
  rmSync(summaryFile, { force: true });

  const busyCores = Number(process.env.BENCH_BUSY_CORES ?? 1);
  const busy = Array.from({ length: busyCores }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const cpuBefore = childrenCpuSeconds();
  const started = Date.now();
  let code: number | null;
  try {
    const log = openSync(logFile, 'w');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const child = spawn(npm, ['test'], { cwd: repoRoot, stdio: ['ignore', log, log], env: { ...process.env, REASONIR_TEST_SUMMARY: summaryFile } });
    code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => resolve(status));
    });
  } finally {
    for (const process of busy) process.kill('SIGKILL');
  }
  const wall = (Date.now() - started) / 1000;
  const cpu = childrenCpuSeconds() - cpuBefore;
  const load = os.loadavg()[0]!;

  let summary: TestSummary | undefined;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as TestSummary;
  } catch {
    // npm test died before its reporter ran; the status row says so
  }
  const rows: BenchRow[] = [
    { bench: 'tests', metric: `npm test wall time (${busyCores} core(s) kept busy, ${os.availableParallelism()} cores)`, value: `${wall.toFixed(0)} s`, target: `<= ${SUITE_TARGET_S} s`, ok: wall <= SUITE_TARGET_S },
    { bench: 'tests', metric: 'npm test CPU time (user + sys, all its processes)', value: `${cpu.toFixed(0)} s` },
    { bench: 'tests', metric: '1-minute load average at the end', value: load.toFixed(1) },
    {
      bench: 'tests',
      metric: 'result',
      value: summary ? `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (exit ${code})` : `no summary (exit ${code}); see ${logFile}`,
      target: 'exit 0',
      ok: code === 0,
    },
  ];
  for (const skip of summary?.skips ?? []) rows.push({ bench: 'tests', metric: `skipped: ${skip.test}`, value: skip.reason });
  const files = summary?.files ?? [];
  for (const file of files.slice(0, 8)) {
    rows.push({ bench: 'tests', metric: `file ${file.file}`, value: `${file.seconds} s`, target: `<= ${FILE_TARGET_S} s`, ok: file.seconds <= FILE_TARGET_S });
  }
  return rows;
}

/**
 * Milliseconds since an arbitrary origin, for measuring durations. process.hrtime rather than the global
 * `performance`, whose first use loads Node's perf_hooks (eleven of its modules, a few ms of every command that
 * times a stage).
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

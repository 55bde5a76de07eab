import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { runContext, type RunContext } from './run-context.js';

/**
 * cli-progress (17 CommonJS modules) is required only when a bar is drawn, on a terminal: piped, quiet and short
 * runs (`--version`, CI) never load it.
 */
const loadCliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof cliProgress;

/**
 * One in-place status line on the run's stderr for the stage that is running. Silent when that stderr is not a TTY
 * or the run has --no-progress / --quiet. A finished stage's line is erased, so a run leaves only the one-line summaries its caller prints.
 */
export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  increment(delta?: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export type ProgressUnit = 'bytes' | 'items';

/** `[2/12]` while `eval` works through its tasks: every stage line of that run starts with it. */
const scopes = new WeakMap<RunContext, string>();
/**
 * The line being drawn and its stream. One per process, not per run: only a terminal gets a line, and the Ctrl-C
 * handler that must clear it runs outside any run's context.
 */
let active: { bar: cliProgress.SingleBar; stream: NodeJS.WritableStream } | undefined;

export function setProgressScope(prefix: string): void {
  scopes.set(runContext(), prefix);
}

/** Whether stage lines are drawn (callers print plain start lines instead when they are not). */
export function progressVisible(): boolean {
  const { progress, quiet, stderr } = runContext();
  return progress && !quiet && stderr.isTTY === true;
}

/**
 * Erases the status line so a log line, a warning or the Ctrl-C notice starts at column 0 and is not overdrawn;
 * the bar redraws itself below it on its next tick.
 */
export function clearProgressLine(): void {
  active?.stream.write('\r\x1b[2K');
}

const silent: Progress = { update() {}, increment() {}, setTotal() {}, stop() {} };

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** `42s`, `3m 05s`, `1h 02m`: ETAs and run times. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * `label` says what the stage does to what (`download biology documents`, `decode biology documents`,
 * `encode biology queries`); `unit` decides how value/total and the rate are shown. Extra payload keys (a `rate`
 * text such as `1234 tok/s`) appear after the bar.
 */
export function startProgress(label: string, total: number, unit: ProgressUnit = 'items'): Progress {
  if (!progressVisible()) return silent;
  const started = Date.now();
  const stream = runContext().stderr;
  const scope = scopes.get(runContext());
  const prefix = scope ? `${scope} ${label}` : label;
  const { SingleBar, Presets } = loadCliProgress();
  const bar = new SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      hideCursor: false,
      clearOnComplete: true,
      // log lines erase the bar (clearProgressLine); an unchanged bar must still be drawn again after them
      forceRedraw: true,
      gracefulExit: false,
      etaBuffer: 20,
      fps: 10,
      format: (_options, params, payload: Record<string, string>) => {
        const width = 20;
        const filled = Math.round(params.progress * width);
        const barText = '█'.repeat(filled) + '░'.repeat(Math.max(0, width - filled));
        const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
        const shown =
          unit === 'bytes'
            ? `${formatBytes(params.value)}/${formatBytes(params.total)} ${formatBytes(params.value / seconds)}/s`
            : `${params.value}/${params.total} ${(params.value / seconds).toFixed(1)}/s`;
        const eta = Number.isFinite(params.eta) && params.value > 0 ? ` ETA ${formatDuration(params.eta)}` : '';
        const extra = payload.rate ? ` ${payload.rate}` : '';
        const line = `${prefix} ${barText} ${shown}${eta}${extra}`;
        // one terminal line, never wrapped: a wrapped line cannot be redrawn in place
        const columns = params.maxWidth > 0 ? params.maxWidth - 1 : line.length;
        return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
      },
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, {});
  const current = { bar, stream };
  active = current;
  return {
    update: (value, payload) => bar.update(value, payload ?? {}),
    increment: (delta = 1, payload) => bar.increment(delta, payload ?? {}),
    setTotal: (newTotal) => bar.setTotal(newTotal),
    stop: () => {
      bar.stop();
      if (active === current) active = undefined;
    },
  };
}

/** How library code asks for a bar; the CLI passes `startProgress`, a library caller may pass its own. */
export type StartProgress = (label: string, total: number, unit?: ProgressUnit) => Progress;

/** Draws nothing. */
export const noProgress: StartProgress = () => silent;

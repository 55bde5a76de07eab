import cliProgress from 'cli-progress';
import { runContext } from './run-context.js';

/** One progress bar on the run's stderr. Silent when that stderr is not a TTY or the run has --no-progress. */
export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  increment(delta?: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export type ProgressUnit = 'bytes' | 'items';

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

/**
 * `label` names the stage (`biology documents`), `unit` decides how value/total and the rate are shown.
 * Extra payload keys (for example `rate` text such as `1234 tok/s`) appear after the bar.
 */
export function startProgress(label: string, total: number, unit: ProgressUnit = 'items'): Progress {
  const { progress, stderr } = runContext();
  if (!progress || !stderr.isTTY) return silent;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 10,
      format: (options, params, payload: Record<string, string>) => {
        const width = options.barsize ?? 30;
        const filled = Math.round(params.progress * width);
        const barText = '█'.repeat(filled) + '░'.repeat(Math.max(0, width - filled));
        const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
        const shown =
          unit === 'bytes'
            ? `${formatBytes(params.value)}/${formatBytes(params.total)} ${formatBytes(params.value / seconds)}/s`
            : `${params.value}/${params.total} ${(params.value / seconds).toFixed(1)}/s`;
        const eta = Number.isFinite(params.eta) ? `ETA ${params.eta}s` : '';
        const extra = payload.rate ? ` ${payload.rate}` : '';
        return `${label} ${barText} ${shown} ${eta}${extra}`;
      },
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, {});
  return {
    update: (value, payload) => bar.update(value, payload ?? {}),
    increment: (delta = 1, payload) => bar.increment(delta, payload ?? {}),
    setTotal: (newTotal) => bar.setTotal(newTotal),
    stop: () => bar.stop(),
  };
}

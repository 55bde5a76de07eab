/**
 * The only module that calls fetch: one request with an inactivity timeout and manual redirects, and retries with
 * exponential backoff for failures that are worth retrying. It knows nothing about the Hub; callers pass the
 * headers for each origin and the hint printed when retries run out.
 */
import { dataError, environmentError, HarnessError, interruptedError, throwIfAborted } from '../core/errors.js';

export interface HttpSettings {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff; doubled per retry up to 32x. */
  backoffMs: number;
  /** A request with no response or no body bytes for this long is abandoned (and retried). */
  timeoutMs: number;
  /** Told before each wait (LLM clients count retries for their manifests). */
  onRetry?: (reason: string, waitMs: number) => void;
  /** The error code when retries run out (default `hub_unreachable`). */
  failureCode?: string;
}

/**
 * Retryable: the server or the network hiccuped. Anything else fails at once. `waitMs` (a server's Retry-After)
 * replaces the backoff for the next wait.
 */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly waitMs: number | null = null,
  ) {
    super(message);
  }
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header.trim()) * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function isNetworkError(error: unknown): boolean {
  // undici: TypeError('fetch failed', {cause}) for connect/reset, TypeError('terminated') for a cut body, and our timeout
  return error instanceof TypeError || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'));
}

/** Statuses a server uses for "try again later". */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
  throwIfAborted(signal);
}

/**
 * Runs `attempt` with exponential backoff while it fails transiently; the last failure names what failed and
 * ends with `hint` (what the user can do).
 */
export async function withRetries<T>(settings: HttpSettings, what: string, hint: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    throwIfAborted(signal);
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted) throw interruptedError();
      if (error instanceof HarnessError || !(error instanceof TransientError || isNetworkError(error))) throw error;
      if (tries >= settings.retries) {
        throw environmentError(settings.failureCode ?? 'hub_unreachable', `${what}: failed after ${tries + 1} attempt${tries === 0 ? '' : 's'} (${(error as Error).message}); ${hint}`, error);
      }
      const wait = (error instanceof TransientError ? error.waitMs : null) ?? settings.backoffMs * 2 ** Math.min(tries, 5);
      settings.onRetry?.((error as Error).message, wait);
      await sleep(wait, signal);
    }
  }
}

export interface HttpResponse {
  response: Response;
  /** The URL that answered (after the redirects that were followed). */
  url: URL;
  /** Call for every body chunk: restarts the inactivity timer. */
  idle: () => void;
  /** Call when the body is consumed or abandoned. */
  done: () => void;
}

/**
 * One HTTP request with an inactivity timeout. `stopAt` decides, for each redirect, whether to return it to the
 * caller instead of following it; `headers` gives the headers for each URL (credentials only for trusted origins).
 */
export async function request(
  settings: HttpSettings,
  url: URL,
  init: {
    method: 'GET' | 'HEAD' | 'POST';
    headers: (url: URL) => Record<string, string>;
    /** A request body (JSON text for POST). */
    body?: string;
    stopAt?: (response: Response, from: URL, to: URL) => boolean;
    signal?: AbortSignal;
  },
): Promise<HttpResponse> {
  const timeout = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => timeout.abort(new DOMException(`no data for ${settings.timeoutMs} ms`, 'TimeoutError')), settings.timeoutMs);
  };
  const done = () => clearTimeout(timer);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  let current = url;
  try {
    for (let hops = 0; hops < 10; hops++) {
      idle();
      const response = await fetch(current, { method: init.method, headers: init.headers(current), body: init.body, redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        if (init.stopAt?.(response, current, next)) return { response, url: current, idle, done };
        await response.body?.cancel();
        current = next;
        continue;
      }
      return { response, url: current, idle, done };
    }
  } catch (error) {
    done();
    if (timeout.signal.aborted && !init.signal?.aborted) throw new TransientError(`no response within ${settings.timeoutMs} ms from ${current.origin}`);
    throw error;
  }
  done();
  throw dataError('http_redirects', `too many redirects from ${url.origin}${url.pathname}`);
}

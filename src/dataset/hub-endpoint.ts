/**
 * HF_ENDPOINT, checked once at start (a bad value is a usage error, exit 2) and split into what may be printed
 * and what may not: `http://user:pass@host` sends the user and password as Basic authentication to that origin
 * only, and every message shows the endpoint without them.
 */
import { usageError } from '../core/errors.js';

export interface HubEndpoint {
  /** Requests are built on this: origin and path prefix, no credentials, no trailing slash. */
  base: string;
  url: URL;
  /** What messages show (the same as `base`). */
  display: string;
  /** base64 "user:password" from the URL, if it had any. */
  basicAuth: string | undefined;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export function parseHubEndpoint(value: string | undefined): HubEndpoint {
  const raw = value || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  const credentials = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  url.username = '';
  url.password = '';
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.search || url.hash) {
    // never echo the value itself: it may hold a password
    const shown = url.protocol === 'http:' || url.protocol === 'https:' ? ` (${url.origin}${url.pathname})` : '';
    throw usageError('bad_hf_endpoint', `HF_ENDPOINT is not an http(s) URL such as https://huggingface.co${shown}; fix or unset it`);
  }
  const base = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  return { base, url: new URL(base), display: base, basicAuth: credentials === undefined ? undefined : Buffer.from(credentials).toString('base64') };
}

/**
 * The only module that talks HTTP: Hugging Face `resolve` downloads into the Python-compatible hub cache.
 * Environment is read at call time: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE/HF_HOME/XDG_CACHE_HOME,
 * plus REASONIR_HUB_RETRIES, REASONIR_HUB_BACKOFF_MS and REASONIR_HUB_TIMEOUT_MS for flaky networks (and tests).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError, environmentError, HarnessError, interruptedError, throwIfAborted } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { startProgress } from '../core/progress.js';
import { runEnv } from '../core/run-context.js';
import { exists, hubCacheDir, RepoCache } from './hf-cache.js';
import type { RepoType } from './hf-cache.js';

export type { RepoType } from './hf-cache.js';

export interface HubFileOptions {
  repoType: RepoType;
  repo: string;
  /** 40-hex commit or a branch/tag name. */
  revision: string;
  /** Path inside the repository, `/`-separated. */
  path: string;
  /** Known values (from the registry); otherwise the server's X-Linked-Etag (sha256) and X-Linked-Size are checked. */
  expected?: { sha256?: string; size?: number; md5?: string };
  signal?: AbortSignal;
  /** Progress bar label; defaults to the path. */
  progressLabel?: string;
}

export interface HubFileInfo {
  /** snapshots/<commit>/<path> in the hub cache (a symlink to the blob, or a copy). */
  path: string;
  commit: string;
  sha256: string;
  size: number;
  /** Whether it was already cached (no file bytes were transferred). */
  cached: boolean;
}

interface HubEnv {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  cacheDir: string;
  retries: number;
  backoffMs: number;
  timeoutMs: number;
}

function hubEnv(): HubEnv {
  const env = runEnv();
  const number = (name: string, fallback: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw environmentError('bad_env', `${name}=${value} is not a non-negative number`);
    return parsed;
  };
  return {
    endpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    token: env.HF_TOKEN || undefined,
    // huggingface_hub's truthy spellings
    offline: ['1', 'on', 'yes', 'true'].includes((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
    cacheDir: hubCacheDir(env),
    retries: number('REASONIR_HUB_RETRIES', 5),
    backoffMs: number('REASONIR_HUB_BACKOFF_MS', 1000),
    timeoutMs: number('REASONIR_HUB_TIMEOUT_MS', 30_000),
  };
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function repoLabel(repoType: RepoType, repo: string): string {
  return `${repoType} ${repo}`;
}

function encodePath(filePath: string): string {
  return filePath.split('/').map(encodeURIComponent).join('/');
}

/** Retryable: the server or the network hiccuped. Anything else fails at once. */
class TransientError extends Error {}

function headersFor(url: URL, env: HubEnv, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'reasonir', ...extra };
  // the token is for the Hub only: never for a CDN or any other origin a redirect points at
  if (env.token && url.origin === new URL(env.endpoint).origin) headers.authorization = `Bearer ${env.token}`;
  return headers;
}

function statusError(response: Response, what: string, env: HubEnv): Error {
  const status = response.status;
  if (status >= 500 || status === 429 || status === 408) return new TransientError(`HTTP ${status} for ${what}`);
  if (status === 401 || status === 403) {
    return environmentError(
      'hub_unauthorized',
      env.token
        ? `HTTP ${status} for ${what}: HF_TOKEN was rejected or lacks access to it`
        : `HTTP ${status} for ${what}: it needs authentication; set HF_TOKEN to a Hugging Face access token`,
    );
  }
  const errorCode = response.headers.get('x-error-code');
  if (status === 404) {
    if (errorCode === 'RevisionNotFound') return dataError('unknown_revision', `${what}: revision not found on ${env.endpoint}; use a branch name or a 40-hex commit that exists`);
    if (errorCode === 'RepoNotFound' || errorCode === 'RepositoryNotFound') return dataError('unknown_repo', `${what}: repository not found on ${env.endpoint}`);
    return dataError('hub_not_found', `${what}: not found on ${env.endpoint} (HTTP 404${errorCode ? ` ${errorCode}` : ''})`);
  }
  return dataError('hub_http', `HTTP ${status} for ${what}`);
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
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

/** Runs `attempt` with exponential backoff while it fails transiently; the last failure names what failed. */
async function withRetries<T>(env: HubEnv, what: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    throwIfAborted(signal);
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted) throw interruptedError();
      if (error instanceof HarnessError || !(error instanceof TransientError || isNetworkError(error))) throw error;
      if (tries >= env.retries) {
        throw environmentError(
          'hub_unreachable',
          `${what}: failed after ${tries + 1} attempt${tries === 0 ? '' : 's'} (${(error as Error).message}); check the network or HF_ENDPOINT (${env.endpoint}), or use HF_HUB_OFFLINE=1 with a filled cache`,
          error,
        );
      }
      await sleep(env.backoffMs * 2 ** Math.min(tries, 5), signal);
    }
  }
}

function isNetworkError(error: unknown): boolean {
  // undici: TypeError('fetch failed', {cause}) for connect/reset, TypeError('terminated') for a cut body, and our timeout
  return error instanceof TypeError || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'));
}

/**
 * One HTTP request with an inactivity timeout. `follow: 'same-origin'` (metadata HEAD) follows same-origin
 * redirects like huggingface_hub (renamed repos) and returns the rest; `follow: 'all'` follows every redirect,
 * with the token only while on the Hub's origin.
 */
async function request(
  env: HubEnv,
  url: URL,
  init: { method: 'GET' | 'HEAD'; headers?: Record<string, string>; follow: 'same-origin' | 'all'; signal?: AbortSignal },
): Promise<{ response: Response; url: URL; idle: () => void; done: () => void }> {
  const timeout = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => timeout.abort(new DOMException(`no data for ${env.timeoutMs} ms`, 'TimeoutError')), env.timeoutMs);
  };
  const done = () => clearTimeout(timer);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  let current = url;
  try {
    for (let hops = 0; hops < 10; hops++) {
      idle();
      const response = await fetch(current, { method: init.method, headers: headersFor(current, env, init.headers), redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        // an LFS file's redirect carries its metadata (X-Linked-Etag): stop there even when the CDN is same-origin
        const metadataHere = response.headers.has('x-linked-etag');
        if (init.follow === 'same-origin' && (next.origin !== current.origin || metadataHere)) return { response, url: current, idle, done };
        await response.body?.cancel();
        current = next;
        continue;
      }
      return { response, url: current, idle, done };
    }
  } catch (error) {
    done();
    if (timeout.signal.aborted && !init.signal?.aborted) throw new TransientError(`no response within ${env.timeoutMs} ms from ${current.origin}`);
    throw error;
  }
  done();
  throw dataError('hub_redirects', `too many redirects from ${url.href}`);
}

/** A branch or tag -> its commit, via /api/<type>s/<repo>/revision/<branch>; refs/<branch> records it. */
async function resolveCommit(env: HubEnv, cache: RepoCache, repoType: RepoType, repo: string, revision: string, signal?: AbortSignal): Promise<string> {
  if (COMMIT.test(revision)) return revision;
  if (env.offline) {
    const commit = await cache.readRef(revision);
    if (commit) return commit;
    throw environmentError(
      'offline_miss',
      `HF_HUB_OFFLINE is set and revision "${revision}" of ${repoLabel(repoType, repo)} was never resolved (no ${cache.ref(revision)}); pass a 40-hex commit or go online once`,
    );
  }
  const what = `revision "${revision}" of ${repoLabel(repoType, repo)}`;
  const url = new URL(`${env.endpoint}/api/${repoType}s/${repo}/revision/${encodeURIComponent(revision)}`);
  const commit = await withRetries(env, `resolving ${what}`, signal, async () => {
    const { response, done } = await request(env, url, { method: 'GET', follow: 'all', signal });
    try {
      if (response.status === 404) {
        await response.body?.cancel();
        throw dataError('unknown_revision', `${what} not found on ${env.endpoint}; use a branch name or a 40-hex commit that exists`);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw statusError(response, what, env);
      }
      const body = (await response.json()) as { sha?: unknown };
      if (typeof body.sha !== 'string' || !COMMIT.test(body.sha)) throw dataError('hub_bad_response', `${url.href} did not return a commit sha`);
      return body.sha;
    } finally {
      done();
    }
  });
  await cache.writeRef(revision, commit);
  return commit;
}

export async function resolveRevision(options: { repoType: RepoType; repo: string; revision: string; signal?: AbortSignal }): Promise<string> {
  const env = hubEnv();
  return resolveCommit(env, new RepoCache(env.cacheDir, options.repoType, options.repo), options.repoType, options.repo, options.revision, options.signal);
}

function normalizeEtag(value: string | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

interface RemoteFile {
  etag: string;
  size: number | undefined;
  /** Where the bytes are (the CDN after a cross-origin redirect). */
  location: URL;
}

async function headFile(env: HubEnv, url: URL, what: string, signal?: AbortSignal): Promise<RemoteFile> {
  return withRetries(env, `fetching metadata of ${what}`, signal, async () => {
    const { response, url: finalUrl, done } = await request(env, url, { method: 'HEAD', follow: 'same-origin', signal });
    done();
    const redirected = response.status >= 300 && response.status < 400;
    if (!response.ok && !redirected) throw statusError(response, what, env);
    const etag = normalizeEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
    if (!etag) throw dataError('hub_bad_response', `${what}: the server sent no ETag; is HF_ENDPOINT (${env.endpoint}) a Hugging Face mirror?`);
    const sizeHeader = response.headers.get('x-linked-size') ?? response.headers.get('content-length');
    const location = redirected ? new URL(response.headers.get('location')!, finalUrl) : finalUrl;
    return { etag, size: sizeHeader === null ? undefined : Number(sizeHeader), location };
  });
}

async function hashFile(filePath: string, algorithm: string): Promise<ReturnType<typeof createHash>> {
  const hash = createHash(algorithm);
  const handle = await fs.open(filePath, 'r');
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash;
}

/**
 * Streams the file into `<blob>.incomplete` (resuming with Range), verifies size, sha256 (and md5 when known),
 * then renames it to the blob. Bytes that fail verification are deleted.
 */
async function downloadBlob(
  env: HubEnv,
  remote: RemoteFile,
  blobPath: string,
  expected: { sha256?: string; size?: number; md5?: string },
  what: string,
  label: string,
  signal?: AbortSignal,
): Promise<void> {
  const incomplete = `${blobPath}.incomplete`;
  const expectedSize = expected.size ?? remote.size;
  const expectedSha = expected.sha256 ?? (SHA256.test(remote.etag) ? remote.etag : undefined);
  if (expected.size !== undefined && remote.size !== undefined && remote.size !== expected.size) {
    throw dataError('size_mismatch', `${what}: the server reports ${remote.size} bytes but the registry expects ${expected.size}; nothing was downloaded. The server or mirror (${env.endpoint}) does not serve this revision's data: check HF_ENDPOINT, or pass --revision for other data`);
  }
  await fs.mkdir(path.dirname(blobPath), { recursive: true });
  const progress = startProgress(`download ${label}`, expectedSize ?? 0, 'bytes');
  try {
    await withRetries(env, `downloading ${what}`, signal, async () => {
      let offset = 0;
      try {
        offset = (await fs.stat(incomplete)).size;
      } catch {
        offset = 0;
      }
      if (expectedSize !== undefined && offset > expectedSize) {
        await fs.rm(incomplete, { force: true });
        offset = 0;
      }
      const range = offset > 0 ? { range: `bytes=${offset}-` } : undefined;
      const { response, idle, done } = await request(env, remote.location, { method: 'GET', headers: range, follow: 'all', signal });
      try {
        if (response.status === 416) {
          await response.body?.cancel();
          await fs.rm(incomplete, { force: true });
          throw new TransientError('HTTP 416: the partial download was invalid; restarting');
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw statusError(response, what, env);
        }
        if (response.status !== 206) offset = 0; // the server ignored Range: start over
        const sha256 = offset > 0 ? await hashFile(incomplete, 'sha256') : createHash('sha256');
        const md5 = offset > 0 ? await hashFile(incomplete, 'md5') : createHash('md5');
        const handle = await fs.open(incomplete, offset > 0 ? 'a' : 'w');
        let received = offset;
        progress.update(received);
        try {
          if (response.body) {
            for await (const chunk of response.body) {
              idle();
              sha256.update(chunk);
              md5.update(chunk);
              await handle.write(chunk);
              received += chunk.byteLength;
              progress.update(received);
            }
          }
        } catch (error) {
          // undici reports a body cut short as TypeError('terminated'); say what happened (the bytes so far are kept)
          if (isNetworkError(error) && !signal?.aborted) throw new TransientError(`connection lost after ${received} of ${expectedSize ?? '?'} bytes (${(error as Error).message}); the partial file is kept and the next attempt resumes it`);
          throw error;
        } finally {
          await handle.close();
        }
        if (expectedSize !== undefined && received < expectedSize) throw new TransientError(`connection closed after ${received} of ${expectedSize} bytes`);
        const problems: string[] = [];
        if (expectedSize !== undefined && received !== expectedSize) problems.push(`size ${received} instead of ${expectedSize}`);
        const actualSha = sha256.digest('hex');
        if (expectedSha !== undefined && actualSha !== expectedSha) problems.push(`sha256 ${actualSha} instead of ${expectedSha}`);
        const actualMd5 = md5.digest('hex');
        if (expected.md5 !== undefined && actualMd5 !== expected.md5) problems.push(`md5 ${actualMd5} instead of ${expected.md5}`);
        if (problems.length > 0) {
          await fs.rm(incomplete, { force: true });
          throw dataError('checksum_mismatch', `${what}: downloaded bytes failed verification (${problems.join('; ')}); they were discarded. Try again; if it persists, the server or mirror (${env.endpoint}) serves different content`);
        }
        await fs.rename(incomplete, blobPath);
      } finally {
        done();
      }
    });
  } finally {
    progress.stop();
  }
}

/** Downloads (or finds in the cache) one file of a Hub repository and reports where it is and what it holds. */
export async function hubFileInfo(options: HubFileOptions): Promise<HubFileInfo> {
  const env = hubEnv();
  const { repoType, repo, signal } = options;
  const cache = new RepoCache(env.cacheDir, repoType, repo);
  const commit = await resolveCommit(env, cache, repoType, repo, options.revision, signal);
  const what = `${repo}@${commit.slice(0, 7)}/${options.path}`;
  const expected = options.expected ?? {};
  const snapshot = cache.snapshot(commit, options.path);

  if (await exists(snapshot)) return { ...(await describeCached(snapshot, expected, what)), commit, cached: true };
  if (env.offline) {
    throw environmentError(
      'offline_miss',
      `HF_HUB_OFFLINE is set and ${repoLabel(repoType, repo)} file ${options.path} at revision ${commit} is not in the cache (${snapshot}); run \`reasonir download\` online first or unset HF_HUB_OFFLINE`,
    );
  }

  const url = new URL(`${env.endpoint}/${repoType === 'dataset' ? 'datasets/' : ''}${repo}/resolve/${commit}/${encodePath(options.path)}`);
  const remote = await headFile(env, url, what, signal);
  const blobPath = cache.blob(remote.etag);
  let cached = true;
  if (!(await exists(blobPath))) {
    const release = await cache.lock(remote.etag, signal, () => exists(blobPath));
    if (release) {
      try {
        // another process may have finished between our check and taking the lock
        if (!(await exists(blobPath))) {
          cached = false;
          await downloadBlob(env, remote, blobPath, expected, what, options.progressLabel ?? options.path, signal);
        }
      } finally {
        await release();
      }
    }
  }
  await cache.linkSnapshot(blobPath, snapshot);
  const info = await describeCached(snapshot, expected, what);
  return { ...info, commit, cached };
}

/** Size and sha256 of a cached file; the blob name is the sha256 for LFS files, anything else is hashed. */
async function describeCached(snapshot: string, expected: { sha256?: string; size?: number }, what: string): Promise<{ path: string; sha256: string; size: number }> {
  const { size } = await fs.stat(snapshot);
  if (expected.size !== undefined && size !== expected.size) {
    throw dataError('cache_corrupt', `${what}: the cached file ${snapshot} has ${size} bytes, expected ${expected.size}; delete it (and the blob it points to) and download again`);
  }
  let sha256: string | undefined;
  try {
    const target = path.basename(await fs.readlink(snapshot));
    if (SHA256.test(target)) sha256 = target;
  } catch {
    // a copy, not a link (filesystems without symlinks)
  }
  sha256 ??= await sha256File(snapshot);
  if (expected.sha256 !== undefined && sha256 !== expected.sha256) {
    throw dataError('cache_corrupt', `${what}: the cached file ${snapshot} has sha256 ${sha256}, expected ${expected.sha256}; delete it and download again`);
  }
  return { path: snapshot, sha256, size };
}

/** Downloads (or finds in the cache) one Hub file and returns its local snapshot path. */
export async function hubFile(options: HubFileOptions): Promise<string> {
  return (await hubFileInfo(options)).path;
}

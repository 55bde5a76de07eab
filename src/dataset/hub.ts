/**
 * The Hugging Face Hub protocol: revision -> commit, `resolve` metadata (ETag, size, where the bytes are), and the
 * Python-compatible cache around them; HTTP itself is http.ts and the verified transfer blob-download.ts.
 * Environment is read at call time: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE/HF_HOME/XDG_CACHE_HOME,
 * plus REASONIR_HUB_RETRIES, REASONIR_HUB_BACKOFF_MS and REASONIR_HUB_TIMEOUT_MS for flaky networks (and tests),
 * and REASONIR_LOCK_STALL_S for how long to wait on another process's download that makes no progress.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dataError, environmentError } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { runEnv } from '../core/run-context.js';
import { downloadVerifiedBlob } from './blob-download.js';
import { exists, hubCacheDir, isBlobName, RepoCache } from './hf-cache.js';
import type { RepoType } from './hf-cache.js';
import { parseHubEndpoint } from './hub-endpoint.js';
import type { HubEndpoint } from './hub-endpoint.js';
import { isTransientStatus, request, TransientError, withRetries } from './http.js';
import type { HttpSettings } from './http.js';

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

interface HubEnv extends HttpSettings {
  /** The endpoint without credentials: safe to print. */
  endpoint: string;
  hub: HubEndpoint;
  token: string | undefined;
  offline: boolean;
  cacheDir: string;
  lockStallMs: number;
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
  const hub = parseHubEndpoint(env.HF_ENDPOINT);
  return {
    endpoint: hub.display,
    hub,
    token: env.HF_TOKEN || undefined,
    // huggingface_hub's truthy spellings
    offline: ['1', 'on', 'yes', 'true'].includes((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
    cacheDir: hubCacheDir(env),
    retries: number('REASONIR_HUB_RETRIES', 5),
    backoffMs: number('REASONIR_HUB_BACKOFF_MS', 1000),
    timeoutMs: number('REASONIR_HUB_TIMEOUT_MS', 30_000),
    lockStallMs: number('REASONIR_LOCK_STALL_S', 120) * 1000,
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

function headersFor(url: URL, env: HubEnv): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'reasonir' };
  // credentials are for the Hub only: never for a CDN or any other origin a redirect points at
  if (url.origin === env.hub.url.origin) {
    if (env.token) headers.authorization = `Bearer ${env.token}`;
    else if (env.hub.basicAuth) headers.authorization = `Basic ${env.hub.basicAuth}`;
  }
  return headers;
}

const retryHint = (env: HubEnv) => `check the network or HF_ENDPOINT (${env.endpoint}), or use HF_HUB_OFFLINE=1 with a filled cache`;

function statusError(response: Response, what: string, env: HubEnv): Error {
  const status = response.status;
  if (isTransientStatus(status)) return new TransientError(`HTTP ${status} for ${what}`);
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
  cache.ref(revision); // refuses a revision name that cannot be a cache path before anything is sent
  const url = new URL(`${env.hub.base}/api/${repoType}s/${repo}/revision/${encodeURIComponent(revision)}`);
  const commit = await withRetries(env, `resolving ${what}`, retryHint(env), signal, async () => {
    const { response, done } = await request(env, url, { method: 'GET', headers: (to) => headersFor(to, env), signal });
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
      if (typeof body.sha !== 'string' || !COMMIT.test(body.sha)) throw dataError('hub_bad_response', `${env.endpoint}${url.pathname} did not return a 40-hex commit sha`);
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
  return withRetries(env, `fetching metadata of ${what}`, retryHint(env), signal, async () => {
    const { response, url: finalUrl, done } = await request(env, url, {
      method: 'HEAD',
      headers: (to) => headersFor(to, env),
      // like huggingface_hub: follow same-origin redirects (renamed repos), but stop at an LFS file's redirect,
      // which carries its metadata (X-Linked-Etag) even when the CDN is same-origin
      stopAt: (response, from, to) => to.origin !== from.origin || response.headers.has('x-linked-etag'),
      signal,
    });
    done();
    const redirected = response.status >= 300 && response.status < 400;
    if (!response.ok && !redirected) throw statusError(response, what, env);
    const etag = normalizeEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
    if (!etag) throw dataError('hub_bad_response', `${what}: the server sent no ETag; is HF_ENDPOINT (${env.endpoint}) a Hugging Face mirror?`);
    if (!isBlobName(etag)) {
      const shown = etag.length > 80 ? `${etag.slice(0, 77)}...` : etag;
      const type = response.headers.get('content-type');
      throw dataError(
        'unsafe_etag',
        `${what}: the server's ETag ${JSON.stringify(shown)} is neither a sha256 nor a git object id${type ? ` (content-type ${type})` : ''}, so the file cannot be verified or named in the cache; nothing was downloaded. Is HF_ENDPOINT (${env.endpoint}) a Hugging Face Hub or mirror?`,
      );
    }
    const sizeHeader = response.headers.get('x-linked-size') ?? response.headers.get('content-length');
    const location = redirected ? new URL(response.headers.get('location')!, finalUrl) : finalUrl;
    const size = sizeHeader === null ? undefined : Number(sizeHeader);
    return { etag, size: Number.isSafeInteger(size) && size! >= 0 ? size : undefined, location };
  });
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

  const url = new URL(`${env.hub.base}/${repoType === 'dataset' ? 'datasets/' : ''}${repo}/resolve/${commit}/${encodePath(options.path)}`);
  const remote = await headFile(env, url, what, signal);
  const blobPath = cache.blob(remote.etag);
  const verified = verifiableDigests(remote, expected, what, env);
  let cached = true;
  if (!(await exists(blobPath))) {
    const { downloaded } = await downloadVerifiedBlob({
      settings: env,
      headers: (to) => headersFor(to, env),
      statusError: (response) => statusError(response, what, env),
      hint: retryHint(env),
      location: remote.location,
      blobPath,
      lockPath: cache.blobLock(remote.etag),
      expected: verified,
      what,
      label: `download ${options.progressLabel ?? options.path}`,
      signal,
      lockStallMs: env.lockStallMs,
      lockNoticeMs: Math.min(5000, env.lockStallMs / 2),
    });
    cached = !downloaded;
  }
  await cache.linkSnapshot(blobPath, snapshot);
  const info = await describeCached(snapshot, expected, what);
  return { ...info, commit, cached };
}

/**
 * A file the cache already holds at a commit, found without the network and without reading it: its snapshot links
 * to a blob named by its sha256 (an LFS file, as every parquet file of a dataset is), checked against `expected` as
 * `hubFileInfo` checks a cached file. Null where only those could tell: a branch or tag name, a file not cached, a
 * copy or a small file whose sha256 only hashing would give. What `hubFileInfo` would return for it, but sooner:
 * for work started on a file before the run's other modules load.
 */
export async function cachedHubFileInfo(options: Omit<HubFileOptions, 'signal' | 'progressLabel'>): Promise<HubFileInfo | null> {
  const { repoType, repo, revision } = options;
  if (!COMMIT.test(revision)) return null;
  const snapshot = new RepoCache(hubCacheDir(), repoType, repo).snapshot(revision, options.path);
  const target = await fs.readlink(snapshot).catch(() => null);
  if (target === null || !SHA256.test(path.basename(target)) || !(await exists(snapshot))) return null;
  const what = `${repo}@${revision.slice(0, 7)}/${options.path}`;
  return { ...(await describeCached(snapshot, options.expected ?? {}, what)), commit: revision, cached: true };
}

/**
 * What the bytes must hash to: the registry's values, else the ETag (a sha256 for LFS files, git's object id for
 * small ones). Values that contradict each other are refused before anything is downloaded.
 */
function verifiableDigests(remote: RemoteFile, expected: { sha256?: string; size?: number; md5?: string }, what: string, env: HubEnv) {
  const etagSha256 = SHA256.test(remote.etag) ? remote.etag : undefined;
  const refuse = (detail: string) =>
    dataError(
      'size_mismatch',
      `${what}: ${detail}; nothing was downloaded. The server or mirror (${env.endpoint}) does not serve this revision's data: check HF_ENDPOINT, or pass --revision for other data`,
    );
  if (expected.size !== undefined && remote.size !== undefined && remote.size !== expected.size) {
    throw refuse(`the server reports ${remote.size} bytes but the registry expects ${expected.size}`);
  }
  if (expected.sha256 !== undefined && etagSha256 !== undefined && etagSha256 !== expected.sha256) {
    throw refuse(`the server reports sha256 ${etagSha256} but the registry expects ${expected.sha256}`);
  }
  return {
    sha256: expected.sha256 ?? etagSha256,
    gitSha1: etagSha256 === undefined ? remote.etag : undefined,
    size: expected.size ?? remote.size,
    md5: expected.md5,
  };
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

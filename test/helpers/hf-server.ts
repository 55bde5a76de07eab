/**
 * A Hugging Face Hub imitation on 127.0.0.1 for tests: serves directory trees as repository revisions with the
 * Hub's resolve protocol (302 to a CDN with X-Repo-Commit / X-Linked-Etag / X-Linked-Size), Range requests on the
 * CDN, branch -> commit via /api/<type>s/<repo>/revision/<branch>, 401 without the configured token, 404 with
 * X-Error-Code, and injectable failures. Every request is logged for assertions. Hostile modes: headers that
 * replace the resolve answer's (hostile ETags), HTML pages in place of files (a portal on the Hub's origin or on
 * the CDN, the second origin), and small non-LFS files answered directly with git's object id as ETag.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface HfRepo {
  type: 'dataset' | 'model';
  /** owner/name */
  repo: string;
  /** commit sha (40 hex) -> directory whose tree is the repository at that commit */
  commits: Record<string, string>;
  /** branch or tag -> commit sha */
  branches?: Record<string, string>;
}

export interface HfServerOptions {
  repos: HfRepo[];
  /** When set, Hub routes answer 401 unless `Authorization: Bearer <token>` is sent (the CDN never checks). */
  token?: string;
  /** 'cross-origin' (default): the CDN is a second server (another port, so another origin). */
  cdn?: 'cross-origin' | 'same-origin';
  /** Replaces headers of the Hub's resolve answer for a file (null removes one): hostile or broken ETags. */
  resolveHeaders?: (file: { path: string; sha256: string }) => Record<string, string | null>;
  /** 'hub': resolve answers 200 with an HTML page and a weak ETag; 'cdn': the CDN serves an HTML page for every blob. */
  html?: 'hub' | 'cdn';
  /** Paths served like the Hub's non-LFS files: 200 on the Hub itself, ETag = git object id, no X-Linked-Etag. */
  smallFiles?: string[];
}

export const HTML_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>\n';

export function gitObjectId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  /** Path and query as requested. */
  url: string;
  authorization: string | undefined;
  range: string | undefined;
  status: number;
}

/**
 * A failure served instead of the normal answer to the next `times` matching requests: an HTTP status (503...),
 * a body cut after `truncateAfter` bytes (full Content-Length promised), a body with its first byte flipped, or
 * the normal answer after `delayMs` (slow servers, timeouts, races) or once `heldUntil` settles (a request kept in
 * flight exactly as long as a test needs, however slow the machine).
 */
export interface FailureRule {
  server?: 'hub' | 'cdn';
  method?: string;
  /** Substring of the request path. */
  pathIncludes?: string;
  times: number;
  status?: number;
  truncateAfter?: number;
  /**
   * With `truncateAfter`: the connection drops once this holds (polled every 5 ms; at most 60 s), e.g. once the
   * client has written the bytes it was sent. Without it, 50 ms after they were sent, which a busy client can miss:
   * undici drops what it received but was not yet read when the connection breaks.
   */
  cutWhen?: () => boolean;
  corrupt?: boolean;
  delayMs?: number;
  heldUntil?: Promise<unknown>;
  /** With `delayMs` or `heldUntil`: called as a matching request arrives and is held (its client now waits). */
  onHold?: () => void;
}

interface StoredFile {
  bytes: Buffer;
  sha256: string;
}

export interface HfServer {
  endpoint: string;
  cdnOrigin: string;
  requests: LoggedRequest[];
  /** Adds a failure rule; rules are consumed in order of addition. */
  fail(rule: FailureRule): void;
  /** Requests whose path contains `fragment` (optionally one server only). */
  requestsFor(fragment: string, server?: 'hub' | 'cdn'): LoggedRequest[];
  close(): Promise<void>;
}

function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const relative = prefix ? `${prefix}/${name}` : name;
    return statSync(full).isDirectory() ? walk(full, relative) : [relative];
  });
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startHfServer(options: HfServerOptions): Promise<HfServer> {
  const blobs = new Map<string, StoredFile>();
  // "dataset:owner/name" -> commit -> path -> file
  const trees = new Map<string, Map<string, Map<string, StoredFile>>>();
  for (const repo of options.repos) {
    const commits = new Map<string, Map<string, StoredFile>>();
    for (const [commit, dir] of Object.entries(repo.commits)) {
      const files = new Map<string, StoredFile>();
      for (const relative of walk(dir)) {
        const bytes = readFileSync(path.join(dir, relative));
        const file = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
        blobs.set(file.sha256, file);
        files.set(relative, file);
      }
      commits.set(commit, files);
    }
    trees.set(`${repo.type}:${repo.repo}`, commits);
  }
  const requests: LoggedRequest[] = [];
  const rules: FailureRule[] = [];

  function takeRule(server: 'hub' | 'cdn', request: http.IncomingMessage): FailureRule | undefined {
    const index = rules.findIndex(
      (rule) =>
        rule.times > 0 &&
        !holds(rule) &&
        (rule.server === undefined || rule.server === server) &&
        (rule.method === undefined || rule.method === request.method) &&
        (rule.pathIncludes === undefined || decodeURIComponent(request.url ?? '').includes(rule.pathIncludes)),
    );
    if (index < 0) return undefined;
    const rule = rules[index]!;
    rule.times--;
    return rule;
  }

  function log(server: 'hub' | 'cdn', request: http.IncomingMessage, status: number): void {
    requests.push({
      server,
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
      range: request.headers.range,
      status,
    });
  }

  function send(server: 'hub' | 'cdn', request: http.IncomingMessage, response: http.ServerResponse, status: number, headers: Record<string, string | number>, body?: Buffer | string) {
    log(server, request, status);
    response.writeHead(status, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  function notFound(server: 'hub' | 'cdn', request: http.IncomingMessage, response: http.ServerResponse, code: string) {
    send(server, request, response, 404, { 'x-error-code': code, 'content-type': 'text/plain' }, `${code}\n`);
  }

  function serveBlob(request: http.IncomingMessage, response: http.ServerResponse, file: StoredFile, rule: FailureRule | undefined) {
    let bytes = file.bytes;
    if (rule?.corrupt) {
      bytes = Buffer.from(bytes);
      bytes[0] = bytes[0]! ^ 0xff;
    }
    let status = 200;
    const headers: Record<string, string | number> = { etag: `"${file.sha256}"`, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : bytes.length - 1;
      if (start >= bytes.length) {
        send('cdn', request, response, 416, { 'content-range': `bytes */${bytes.length}` });
        return;
      }
      headers['content-range'] = `bytes ${start}-${end}/${bytes.length}`;
      bytes = bytes.subarray(start, end + 1);
      status = 206;
    }
    headers['content-length'] = bytes.length;
    if (rule?.truncateAfter !== undefined && request.method !== 'HEAD') {
      log('cdn', request, status);
      response.writeHead(status, headers);
      // let the client read what was sent before the connection drops
      const { cutWhen } = rule;
      response.write(bytes.subarray(0, rule.truncateAfter), () => {
        if (!cutWhen) return void setTimeout(() => response.destroy(), 50);
        const giveUp = Date.now() + 60_000;
        const poll = setInterval(() => {
          if (!cutWhen() && Date.now() < giveUp && !response.destroyed) return;
          clearInterval(poll);
          response.destroy();
        }, 5);
      });
      return;
    }
    send('cdn', request, response, status, headers, bytes);
  }

  let cdnOrigin = '';

  function handleHub(request: http.IncomingMessage, response: http.ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://hub');
    if (url.pathname.startsWith('/cdn/')) return handleCdn(request, response);
    const rule = takeRule('hub', request);
    if (rule?.status) return send('hub', request, response, rule.status, { 'content-type': 'text/plain' }, 'injected failure\n');
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
      return send('hub', request, response, 401, { 'x-error-code': 'RepoNotFound', 'content-type': 'text/plain' }, 'Invalid credentials\n');
    }
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    // /api/<type>s/<owner>/<name>/revision/<branch>
    if (parts[0] === 'api' && parts[4] === 'revision') {
      const type = parts[1] === 'datasets' ? 'dataset' : parts[1] === 'models' ? 'model' : undefined;
      const repo = options.repos.find((candidate) => candidate.type === type && candidate.repo === `${parts[2]}/${parts[3]}`);
      if (!repo) return notFound('hub', request, response, 'RepoNotFound');
      const revision = parts.slice(5).join('/');
      const sha = repo.branches?.[revision] ?? (repo.commits[revision] ? revision : undefined);
      if (!sha) return notFound('hub', request, response, 'RevisionNotFound');
      return send('hub', request, response, 200, { 'content-type': 'application/json' }, JSON.stringify({ id: repo.repo, sha }));
    }
    // /datasets/<owner>/<name>/resolve/<rev>/<path> or /<owner>/<name>/resolve/<rev>/<path>
    const type = parts[0] === 'datasets' ? 'dataset' : 'model';
    const rest = type === 'dataset' ? parts.slice(1) : parts;
    if (rest[2] !== 'resolve' || rest.length < 5) return notFound('hub', request, response, 'EntryNotFound');
    const repo = options.repos.find((candidate) => candidate.type === type && candidate.repo === `${rest[0]}/${rest[1]}`);
    if (!repo) return notFound('hub', request, response, 'RepoNotFound');
    const revision = rest[3]!;
    const commit = repo.branches?.[revision] ?? (repo.commits[revision] ? revision : undefined);
    if (!commit) return notFound('hub', request, response, 'RevisionNotFound');
    const filePath = rest.slice(4).join('/');
    const file = trees.get(`${type}:${repo.repo}`)?.get(commit)?.get(filePath);
    if (!file) return notFound('hub', request, response, 'EntryNotFound');
    if (options.html === 'hub') {
      return send('hub', request, response, 200, { 'content-type': 'text/html; charset=utf-8', etag: 'W/"5f3a-portal"', 'content-length': Buffer.byteLength(HTML_PAGE) }, HTML_PAGE);
    }
    if (options.smallFiles?.includes(filePath)) {
      const bytes = rule?.corrupt ? Buffer.from(file.bytes).fill(0x20, 0, 1) : file.bytes;
      return send('hub', request, response, 200, { etag: `"${gitObjectId(file.bytes)}"`, 'x-repo-commit': commit, 'content-length': bytes.length, 'content-type': 'text/plain' }, bytes);
    }
    const headers: Record<string, string | number> = {
      location: `${options.cdn === 'same-origin' ? '' : cdnOrigin}/cdn/${file.sha256}`,
      'x-repo-commit': commit,
      'x-linked-etag': `"${file.sha256}"`,
      'x-linked-size': file.bytes.length,
      etag: `"${gitObjectId(file.bytes)}"`,
      'content-length': 0,
    };
    for (const [name, value] of Object.entries(options.resolveHeaders?.({ path: filePath, sha256: file.sha256 }) ?? {})) {
      if (value === null) delete headers[name];
      else headers[name] = value;
    }
    return send('hub', request, response, 302, headers);
  }

  function handleCdn(request: http.IncomingMessage, response: http.ServerResponse) {
    const rule = takeRule('cdn', request);
    if (rule?.status) return send('cdn', request, response, rule.status, { 'content-type': 'text/plain' }, 'injected failure\n');
    if (options.html === 'cdn') return send('cdn', request, response, 200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(HTML_PAGE) }, HTML_PAGE);
    const sha = new URL(request.url ?? '/', 'http://cdn').pathname.split('/')[2] ?? '';
    const file = blobs.get(sha);
    if (!file) return send('cdn', request, response, 404, { 'content-type': 'text/plain' }, 'no such blob\n');
    serveBlob(request, response, file, rule);
  }

  // a rule with delayMs or heldUntil holds the request back, then answers normally (the rule is not consumed twice)
  const holds = (rule: FailureRule) => rule.delayMs !== undefined || rule.heldUntil !== undefined;
  const delayed = (handler: (request: http.IncomingMessage, response: http.ServerResponse) => void, server: 'hub' | 'cdn') =>
    (request: http.IncomingMessage, response: http.ServerResponse) => {
      const index = rules.findIndex(
        (rule) => holds(rule) && rule.times > 0 && (rule.server === undefined || rule.server === server) &&
          (rule.method === undefined || rule.method === request.method) &&
          (rule.pathIncludes === undefined || decodeURIComponent(request.url ?? '').includes(rule.pathIncludes)),
      );
      if (index < 0) return handler(request, response);
      const rule = rules[index]!;
      rule.times--;
      rule.onHold?.();
      const answer = () => {
        if (!response.destroyed) handler(request, response);
      };
      if (rule.heldUntil) void rule.heldUntil.finally(answer);
      else setTimeout(answer, rule.delayMs);
    };
  const hub = http.createServer(delayed(handleHub, 'hub'));
  const cdn = http.createServer(delayed(handleCdn, 'cdn'));
  const endpoint = await listen(hub);
  cdnOrigin = options.cdn === 'same-origin' ? endpoint : await listen(cdn);

  return {
    endpoint,
    cdnOrigin,
    requests,
    fail(rule) {
      rules.push({ ...rule });
    },
    requestsFor(fragment, server) {
      return requests.filter((entry) => decodeURIComponent(entry.url).includes(fragment) && (server === undefined || entry.server === server));
    },
    async close() {
      for (const server of [hub, cdn]) {
        if (!server.listening) continue;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

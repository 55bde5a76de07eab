/**
 * The Hub client against servers that lie: hostile ETags and revision names must never become paths outside the
 * cache, unverifiable or HTML answers are never kept, HF_ENDPOINT is checked before any work and its password is
 * never printed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hubFileInfo } from '../../src/dataset/hub.js';
import { runReasonir } from '../helpers/cli.js';
import { gitObjectId, startHfServer } from '../helpers/hf-server.js';
import type { HfServer, HfServerOptions } from '../helpers/hf-server.js';
import { brightServer, fixtureCommit, fixtureData, hubEnvironment, ponyExamples, tempDir } from './support.js';

const repoFolder = 'datasets--xlangai--BRIGHT';
const examplesSha = createHash('sha256').update(readFileSync(path.join(fixtureData, ponyExamples))).digest('hex');

/** Every file under `dir`, relative. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('hostile Hub answers', () => {
  let server: HfServer | undefined;
  let work: { dir: string; remove: () => void };
  beforeEach(() => {
    work = tempDir('hostile');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    work.remove();
  });

  // the cache is a folder inside `work`, so anything written beside it would be an escape
  const cacheDir = () => path.join(work.dir, 'a', 'b', 'c', 'hub');
  const download = async (options: Partial<HfServerOptions>, args: string[] = ['--revision', fixtureCommit], extra: Record<string, string> = {}) => {
    server ??= await brightServer(options);
    return runReasonir(['download', '--task', 'pony', '--config', 'examples', ...args], { env: hubEnvironment(server, cacheDir(), extra) });
  };

  for (const etag of ['"../../../../PWNED"', '"..%2F..%2FPWNED"', '"/etc/passwd"', `"${'a'.repeat(63)}/"`]) {
    it(`refuses the ETag ${etag} with exit 3 and writes nothing anywhere`, async () => {
      const result = await download({ resolveHeaders: () => ({ 'x-linked-etag': etag }) });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('is neither a sha256 nor a git object id');
      expect(result.stderr).toContain('nothing was downloaded');
      expect(server!.requestsFor('/cdn/')).toEqual([]);
      // nothing outside the cache, and no blob, lock or partial file inside it
      expect(tree(work.dir).filter((file) => !file.startsWith(path.join('a', 'b', 'c', 'hub')))).toEqual([]);
      expect(tree(cacheDir()).filter((file) => !file.includes(`${path.sep}refs${path.sep}`))).toEqual([]);
    });
  }

  it('refuses a revision name that would be a path outside refs/, before any request', async () => {
    const result = await download({}, ['--revision', '../../../x']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('revision "../../../x" cannot name a cache path');
    expect(server!.requests).toEqual([]);
    expect(tree(work.dir)).toEqual([]);
  });

  it('a permissive server answering a traversal branch with a commit still writes nothing outside the cache', async () => {
    server = await startHfServer({
      repos: [{ type: 'dataset', repo: 'xlangai/BRIGHT', commits: { [fixtureCommit]: fixtureData }, branches: { 'x/../../../../y': fixtureCommit } }],
    });
    const result = await download({}, ['--revision', 'x/../../../../y']);
    expect(result.code).toBe(3);
    expect(tree(work.dir)).toEqual([]);
  });

  it('a weak, non-sha256 ETag means the bytes cannot be verified: exit 3, nothing kept', async () => {
    const result = await download({ resolveHeaders: () => ({ 'x-linked-etag': null, etag: 'W/"1b2c-abcdef"' }) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`xlangai/BRIGHT@f1f1f1f/${ponyExamples}: the server's ETag "1b2c-abcdef" is neither a sha256 nor a git object id`);
    expect(tree(path.join(cacheDir(), repoFolder, 'blobs'))).toEqual([]);
  });

  it('an HTML page on the Hub origin (a login portal) is refused, not stored as the parquet file', async () => {
    const result = await download({ html: 'hub' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('(content-type text/html; charset=utf-8)');
    expect(tree(path.join(cacheDir(), repoFolder))).toEqual([]);
  });

  it('an HTML page from the CDN (the second origin) fails verification and is discarded', async () => {
    const result = await download({ html: 'cdn' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`downloaded bytes failed verification (size`);
    expect(result.stderr).toContain(`sha256`);
    expect(tree(path.join(cacheDir(), repoFolder, 'blobs'))).toEqual([]);
    expect(existsSync(path.join(cacheDir(), repoFolder, 'snapshots', fixtureCommit, ponyExamples))).toBe(false);
  });

  it('verifies the file on disk: garbage left in <blob>.incomplete by another tool is caught after resuming', async () => {
    const blobs = path.join(cacheDir(), repoFolder, 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(path.join(blobs, `${examplesSha}.incomplete`), Buffer.alloc(1000, 0x41));
    const result = await download({});
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('downloaded bytes failed verification (sha256');
    expect(tree(blobs)).toEqual([]);
    // and the next run, starting clean, succeeds
    const again = await download({});
    expect(again.code).toBe(0);
    expect(tree(blobs)).toEqual([examplesSha]);
  });
});

describe('small (non-LFS) files: the ETag is git\'s object id', () => {
  it('downloads and verifies them by git object id; other bytes are discarded', async () => {
    const commit = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';
    const work = tempDir('small');
    mkdirSync(path.join(work.dir, 'repo'));
    writeFileSync(path.join(work.dir, 'repo', 'config.json'), '{"hidden_size": 8}\n');
    const server = await startHfServer({ repos: [{ type: 'model', repo: 'tiny/encoder', commits: { [commit]: path.join(work.dir, 'repo') } }], smallFiles: ['config.json'] });
    try {
      for (const [name, value] of Object.entries(hubEnvironment(server, path.join(work.dir, 'hub')))) vi.stubEnv(name, value);
      const info = await hubFileInfo({ repoType: 'model', repo: 'tiny/encoder', revision: commit, path: 'config.json' });
      const objectId = gitObjectId(readFileSync(path.join(work.dir, 'repo', 'config.json')));
      expect(readFileSync(info.path, 'utf8')).toBe('{"hidden_size": 8}\n');
      expect(tree(path.join(work.dir, 'hub', 'models--tiny--encoder', 'blobs'))).toEqual([objectId]);
      expect(server.requests.map((request) => `${request.server} ${request.method} ${request.status}`)).toEqual(['hub HEAD 200', 'hub GET 200']);

      server.fail({ server: 'hub', method: 'GET', corrupt: true, times: 1 });
      const fresh = path.join(work.dir, 'hub2');
      vi.stubEnv('HF_HUB_CACHE', fresh);
      await expect(hubFileInfo({ repoType: 'model', repo: 'tiny/encoder', revision: commit, path: 'config.json' })).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringContaining(`tiny/encoder@abcdefa/config.json: downloaded bytes failed verification (git object id`),
      });
      expect(tree(path.join(fresh, 'models--tiny--encoder', 'blobs'))).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      await server.close();
      work.remove();
    }
  });
});

describe('HF_ENDPOINT', () => {
  it('is checked before any work: not a URL is exit 2, and the value is never echoed', async () => {
    for (const value of ['not a url', 'ftp://user:hunter2@mirror.example', 'http://user:hunter2@']) {
      const result = await runReasonir(['tasks'], { env: { HF_ENDPOINT: value } });
      expect(result.code, value).toBe(2);
      expect(result.stderr).toContain('HF_ENDPOINT is not an http(s) URL');
      expect(result.stderr).not.toContain('hunter2');
      expect(result.stdout).toBe('');
    }
  });

  it('sends credentials in the URL as Basic auth to the Hub only, and never prints them', async () => {
    const server = await brightServer();
    const work = tempDir('endpoint');
    try {
      const endpoint = server.endpoint.replace('http://', 'http://alice:s3cr%2Fet@');
      const missing = await runReasonir(['download', '--task', 'pony', '--revision', '0'.repeat(40)], { env: hubEnvironment(server, work.dir, { HF_ENDPOINT: endpoint }) });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`revision not found on ${server.endpoint};`);
      expect(missing.stderr).not.toContain('s3cr');
      expect(missing.stderr).not.toContain('alice');

      const ok = await runReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', fixtureCommit], { env: hubEnvironment(server, work.dir, { HF_ENDPOINT: endpoint }) });
      expect(ok.code).toBe(0);
      expect(ok.stdout + ok.stderr).not.toContain('s3cr');
      const basic = `Basic ${Buffer.from('alice:s3cr/et').toString('base64')}`;
      expect(server.requestsFor('/resolve/', 'hub').map((request) => request.authorization)).toContain(basic);
      expect(server.requestsFor('/cdn/', 'cdn').map((request) => request.authorization)).toEqual([undefined]);
    } finally {
      await server.close();
      work.remove();
    }
  });
});

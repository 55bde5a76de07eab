import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hubFile, hubFileInfo } from '../../src/dataset/hub.js';
import { runReasonir } from '../helpers/cli.js';
import { startHfServer } from '../helpers/hf-server.js';
import type { HfServer } from '../helpers/hf-server.js';
import { brightServer, fixtureCommit, fixtureData, hubEnvironment, pinnedCommit, ponyExamples, tempDir } from './support.js';

const repoFolder = 'datasets--xlangai--BRIGHT';
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const examplesSha = sha256(path.join(fixtureData, ponyExamples));

describe('reasonir download against an HF-like server', () => {
  let server: HfServer;
  let cache: { dir: string; remove: () => void };

  beforeEach(async () => {
    server = await brightServer();
    cache = tempDir('hub');
  });
  afterEach(async () => {
    await server.close();
    cache.remove();
  });

  const download = (args: string[], extra: Record<string, string> = {}) =>
    runReasonir(['download', '--task', 'pony', '--revision', fixtureCommit, ...args], { env: hubEnvironment(server, cache.dir, extra) });
  /** Bytes of the examples file's partial download (the client writes what it reads into `<blob>.incomplete`). */
  const incompleteBytes = () => {
    const file = path.join(cache.dir, repoFolder, 'blobs', `${examplesSha}.incomplete`);
    return existsSync(file) ? statSync(file).size : 0;
  };

  it('downloads cold into the Python layout, then hits the cache without any request', async () => {
    const first = await download(['--config', 'examples,documents']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`downloaded  ${ponyExamples}`);
    expect(first.stdout).toContain(`sha256:${examplesSha}`);
    const root = path.join(cache.dir, repoFolder);
    const snapshot = path.join(root, 'snapshots', fixtureCommit, 'examples', 'pony-00000-of-00001.parquet');
    expect(lstatSync(snapshot).isSymbolicLink()).toBe(true);
    expect(readlinkSync(snapshot)).toBe(`../../../blobs/${examplesSha}`);
    expect(readFileSync(snapshot)).toEqual(readFileSync(path.join(fixtureData, ponyExamples)));
    expect(readdirSync(path.join(root, 'blobs')).sort()).toHaveLength(2);
    // HEAD on the Hub, GET on the CDN, one each per file
    expect(server.requests.map((request) => `${request.server} ${request.method} ${request.status}`)).toEqual(['hub HEAD 302', 'cdn GET 200', 'hub HEAD 302', 'cdn GET 200']);

    server.requests.length = 0;
    const second = await download(['--config', 'examples,documents']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`cached      ${ponyExamples}`);
    expect(server.requests).toEqual([]);
  });

  it('treats a cache written by Python huggingface_hub as a hit, and resolves branches from refs offline', async () => {
    const root = path.join(cache.dir, repoFolder);
    mkdirSync(path.join(root, 'blobs'), { recursive: true });
    copyFileSync(path.join(fixtureData, ponyExamples), path.join(root, 'blobs', examplesSha));
    mkdirSync(path.join(root, 'snapshots', fixtureCommit, 'examples'), { recursive: true });
    symlinkSync(`../../../blobs/${examplesSha}`, path.join(root, 'snapshots', fixtureCommit, 'examples', 'pony-00000-of-00001.parquet'));
    mkdirSync(path.join(root, 'refs'), { recursive: true });
    writeFileSync(path.join(root, 'refs', 'main'), fixtureCommit);

    const online = await download(['--config', 'examples', '--json']);
    expect(online.code).toBe(0);
    expect(JSON.parse(online.stdout).files[0]).toMatchObject({ path: ponyExamples, sha256: examplesSha, cached: true });
    expect(server.requests).toEqual([]);

    const offline = await runReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', 'main'], {
      env: hubEnvironment(server, cache.dir, { HF_HUB_OFFLINE: '1' }),
    });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(`# xlangai/BRIGHT@${fixtureCommit}`);
    expect(server.requests).toEqual([]);
  });

  it('fails offline with exit 3 naming the missing file', async () => {
    const result = await download(['--config', 'documents'], { HF_HUB_OFFLINE: '1' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('HF_HUB_OFFLINE');
    expect(result.stderr).toContain('documents/pony-00000-of-00001.parquet');
    expect(server.requests).toEqual([]);
    const branch = await runReasonir(['download', '--task', 'pony', '--revision', 'main'], { env: hubEnvironment(server, cache.dir, { HF_HUB_OFFLINE: 'true' }) });
    expect(branch.code).toBe(3);
    expect(branch.stderr).toContain('revision "main"');
  });

  it('resolves a branch through /api/datasets/<repo>/revision/<branch> and records refs/<branch>', async () => {
    const result = await runReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', 'main'], { env: hubEnvironment(server, cache.dir) });
    expect(result.code).toBe(0);
    expect(server.requests[0]).toMatchObject({ server: 'hub', method: 'GET', url: '/api/datasets/xlangai/BRIGHT/revision/main', status: 200 });
    expect(server.requests[1]!.url).toBe(`/datasets/xlangai/BRIGHT/resolve/${fixtureCommit}/${ponyExamples}`);
    expect(readFileSync(path.join(cache.dir, repoFolder, 'refs', 'main'), 'utf8')).toBe(fixtureCommit);
  });

  it('resumes a truncated body with a Range request', async () => {
    server.fail({ server: 'cdn', method: 'GET', truncateAfter: 8000, cutWhen: () => incompleteBytes() >= 8000, times: 1 });
    const result = await download(['--config', 'examples']);
    expect(result.code).toBe(0);
    const gets = server.requests.filter((request) => request.server === 'cdn');
    expect(gets.map((request) => [request.status, request.range])).toEqual([[200, undefined], [206, 'bytes=8000-']]);
    expect(sha256(path.join(cache.dir, repoFolder, 'blobs', examplesSha))).toBe(examplesSha);
  });

  it('says where an interrupted download stopped, and the next run resumes it', async () => {
    server.fail({ server: 'cdn', method: 'GET', truncateAfter: 8000, cutWhen: () => incompleteBytes() >= 8000, times: 1 });
    const cut = await download(['--config', 'examples'], { REASONIR_HUB_RETRIES: '0' });
    expect(cut.code).toBe(3);
    expect(cut.stderr).toMatch(
      /^error: downloading xlangai\/BRIGHT@f1f1f1f\/examples\/pony-00000-of-00001\.parquet: failed after 1 attempt \(connection lost after 8000 of \d+ bytes \([^)]*\); the partial file is kept and the next attempt resumes it\); check the network/,
    );
    const again = await download(['--config', 'examples']);
    expect(again.code).toBe(0);
    expect(server.requests.filter((request) => request.server === 'cdn').map((request) => [request.status, request.range])).toEqual([[200, undefined], [206, 'bytes=8000-']]);
    expect(sha256(path.join(cache.dir, repoFolder, 'blobs', examplesSha))).toBe(examplesSha);
  });

  it('retries 503s with backoff, and gives up with exit 3 when retries run out', async () => {
    server.fail({ server: 'cdn', status: 503, times: 2 });
    server.fail({ server: 'hub', status: 502, times: 1 });
    const ok = await download(['--config', 'examples']);
    expect(ok.code).toBe(0);
    expect(server.requests.map((request) => request.status)).toEqual([502, 302, 503, 503, 200]);

    server.fail({ server: 'cdn', status: 503, times: 100 });
    const failed = await download(['--config', 'documents']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/downloading xlangai\/BRIGHT@f1f1f1f\/documents\/pony-00000-of-00001\.parquet: failed after 4 attempts \(HTTP 503/);
  });

  it('retries a server that does not answer within REASONIR_HUB_TIMEOUT_MS', async () => {
    server.fail({ server: 'cdn', delayMs: 30_000, times: 1 });
    const result = await download(['--config', 'examples'], { REASONIR_HUB_TIMEOUT_MS: '1000' });
    expect(result.code).toBe(0);
    expect(server.requests.filter((request) => request.server === 'cdn').map((request) => request.status)).toEqual([200]);
  });

  it('rejects bytes that fail the checksum: exit 3, nothing left in the cache', async () => {
    server.fail({ server: 'cdn', corrupt: true, times: 1 });
    const result = await download(['--config', 'examples']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`xlangai/BRIGHT@f1f1f1f/${ponyExamples}: downloaded bytes failed verification (sha256`);
    const root = path.join(cache.dir, repoFolder);
    expect(readdirSync(path.join(root, 'blobs'))).toEqual([]);
    expect(existsSync(path.join(root, 'snapshots', fixtureCommit, ponyExamples))).toBe(false);
    // the next attempt gets good bytes
    expect((await download(['--config', 'examples'])).code).toBe(0);
  });

  it('checks the registry at the pinned revision: other bytes are refused before download', async () => {
    const result = await runReasonir(['download', '--task', 'pony', '--config', 'examples'], { env: hubEnvironment(server, cache.dir) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`xlangai/BRIGHT@${pinnedCommit.slice(0, 7)}/${ponyExamples}: the server reports 22076 bytes but the registry expects 27722; nothing was downloaded. The server or mirror (${server.endpoint}) does not serve this revision's data`);
    expect(server.requests.filter((request) => request.server === 'cdn')).toEqual([]);
    expect(result.stdout).toBe('');
  });

  it('two processes downloading the same files at once both succeed', async () => {
    server.fail({ server: 'cdn', delayMs: 300, times: 2 });
    const [a, b] = await Promise.all([download([]), download([])]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const root = path.join(cache.dir, repoFolder);
    const blobs = readdirSync(path.join(root, 'blobs'));
    expect(blobs).toHaveLength(8);
    expect(blobs.filter((name) => name.includes('.'))).toEqual([]);
    for (const blob of blobs) expect(sha256(path.join(root, 'blobs', blob))).toBe(blob);
    // each blob crossed the wire once
    expect(server.requests.filter((request) => request.server === 'cdn')).toHaveLength(8);
  });

  it('reports unknown revisions with exit 3', async () => {
    const branch = await runReasonir(['download', '--task', 'pony', '--revision', 'no-such-branch'], { env: hubEnvironment(server, cache.dir) });
    expect(branch.code).toBe(3);
    expect(branch.stderr).toContain('revision "no-such-branch" of dataset xlangai/BRIGHT not found');
    const commit = await runReasonir(['download', '--task', 'pony', '--revision', '0'.repeat(40)], { env: hubEnvironment(server, cache.dir) });
    expect(commit.code).toBe(3);
    expect(commit.stderr).toContain(`xlangai/BRIGHT@0000000/examples/pony-00000-of-00001.parquet: revision not found on ${server.endpoint}; use a branch name or a 40-hex commit that exists`);
  });

  it('rejects unknown tasks and configs with exit 2 and lists the valid names', async () => {
    const task = await runReasonir(['download', '--task', 'pony,bilogy'], { env: hubEnvironment(server, cache.dir) });
    expect(task.code).toBe(2);
    expect(task.stderr).toContain('unknown task "bilogy" (did you mean "biology"?); valid tasks: biology, earth_science');
    const config = await runReasonir(['download', '--task', 'pony', '--config', 'document'], { env: hubEnvironment(server, cache.dir) });
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('unknown config "document" (did you mean "documents"?); valid configs: examples, documents, long_documents');
    const none = await runReasonir(['download', '--task', 'leetcode', '--config', 'long_documents'], { env: hubEnvironment(server, cache.dir) });
    expect(none.code).toBe(2);
    expect(server.requests).toEqual([]);
  });
});

describe('HF_TOKEN handling', () => {
  const token = 'hf_test_secret_123';
  let cache: { dir: string; remove: () => void };
  beforeEach(() => {
    cache = tempDir('token');
  });
  afterEach(() => cache.remove());

  it('sends the token to the Hub, never to a CDN on another origin, and never prints it', async () => {
    const server = await brightServer({ token });
    try {
      const ok = await runReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', 'main'], { env: hubEnvironment(server, cache.dir, { HF_TOKEN: token }) });
      expect(ok.code).toBe(0);
      const hub = server.requests.filter((request) => request.server === 'hub');
      const cdn = server.requests.filter((request) => request.server === 'cdn');
      expect(hub.length).toBe(2);
      expect(hub.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
      expect(cdn.map((request) => request.authorization)).toEqual([undefined]);
      expect(ok.stdout + ok.stderr).not.toContain(token);

      const missing = await runReasonir(['download', '--task', 'pony', '--config', 'documents', '--revision', fixtureCommit], { env: hubEnvironment(server, cache.dir) });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('HTTP 401');
      expect(missing.stderr).toContain('set HF_TOKEN');

      const wrong = await runReasonir(['download', '--task', 'pony', '--config', 'documents', '--revision', fixtureCommit], {
        env: hubEnvironment(server, cache.dir, { HF_TOKEN: 'hf_wrong_token' }),
      });
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toContain('HF_TOKEN was rejected');
      expect(wrong.stderr).not.toContain('hf_wrong_token');
    } finally {
      await server.close();
    }
  });

  it('keeps the token on a same-origin redirect', async () => {
    const server = await brightServer({ token, cdn: 'same-origin' });
    try {
      const ok = await runReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', fixtureCommit], { env: hubEnvironment(server, cache.dir, { HF_TOKEN: token }) });
      expect(ok.code).toBe(0);
      expect(server.requests.map((request) => [request.server, request.authorization])).toEqual([
        ['hub', `Bearer ${token}`],
        ['cdn', `Bearer ${token}`],
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('hubFile for model repositories (in process)', () => {
  it('downloads from /<repo>/resolve/... into models--<owner>--<name>, resolving the branch via /api/models', async () => {
    const commit = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';
    const server = await startHfServer({ repos: [{ type: 'model', repo: 'tiny/encoder', commits: { [commit]: path.join(fixtureData, 'documents') }, branches: { main: commit } }] });
    const cache = tempDir('model');
    try {
      for (const [name, value] of Object.entries(hubEnvironment(server, cache.dir))) vi.stubEnv(name, value);
      const file = await hubFile({ repoType: 'model', repo: 'tiny/encoder', revision: 'main', path: 'pony-00000-of-00001.parquet' });
      expect(file).toBe(path.join(cache.dir, 'models--tiny--encoder', 'snapshots', commit, 'pony-00000-of-00001.parquet'));
      expect(readFileSync(file)).toEqual(readFileSync(path.join(fixtureData, 'documents', 'pony-00000-of-00001.parquet')));
      expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        'GET /api/models/tiny/encoder/revision/main',
        `HEAD /tiny/encoder/resolve/${commit}/pony-00000-of-00001.parquet`,
        `GET /cdn/${sha256(file)}`,
      ]);
      // a wrong expected hash is refused on a cache hit too
      await expect(hubFileInfo({ repoType: 'model', repo: 'tiny/encoder', revision: commit, path: 'pony-00000-of-00001.parquet', expected: { sha256: '0'.repeat(64) } })).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringContaining('has sha256'),
      });
      await expect(hubFile({ repoType: 'model', repo: 'tiny/encoder', revision: commit, path: 'missing.onnx' })).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringContaining('tiny/encoder@abcdefa/missing.onnx: not found'),
      });
    } finally {
      vi.unstubAllEnvs();
      await server.close();
      cache.remove();
    }
  });
});

describe('download --data-dir', () => {
  it('also copies the files to a plain folder that loadTask --data-dir reads', async () => {
    const server = await brightServer();
    const cache = tempDir('mirror');
    try {
      const mirror = path.join(cache.dir, 'mirror');
      const result = await runReasonir(['download', '--task', 'pony', '--config', 'examples,documents', '--revision', fixtureCommit, '--data-dir', mirror], {
        env: hubEnvironment(server, path.join(cache.dir, 'hub')),
      });
      expect(result.code).toBe(0);
      for (const file of [ponyExamples, 'documents/pony-00000-of-00001.parquet']) {
        expect(readFileSync(path.join(mirror, file))).toEqual(readFileSync(path.join(fixtureData, file)));
      }
    } finally {
      await server.close();
      cache.remove();
    }
  });
});

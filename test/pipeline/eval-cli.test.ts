import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { brightServer, fixtureCommit, hubEnvironment } from '../dataset/support.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-eval-cli-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

describe('reasonir eval (command line)', () => {
  it('evaluates a task with exclusions and never lets an excluded id into the run', async () => {
    const out = path.join(work, 'leetcode');
    const result = await runReasonir(['eval', '--task', 'leetcode', '--data-dir', fixtureData, '--out', out, '--top-k', '50'], {
      env: { REASONIR_CACHE: path.join(work, 'cache') },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^task\s+NDCG@10/m);
    expect(result.stdout).toContain('BM25 (BRIGHT paper)');
    const scores = JSON.parse(await fs.readFile(path.join(out, 'leetcode', 'score.json'), 'utf8')) as Record<string, Record<string, number>>;
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'leetcode', 'manifest.json'), 'utf8'));
    expect(manifest.top_k).toBe(50);
    // the harness version, and its commit when it runs from a git checkout (as the tests do, unless from a tarball)
    expect(manifest.versions.reasonir).toMatch(/^\d+\.\d+\.\d+/);
    if (existsSync(path.join(repoRoot, '.git'))) {
      const head = spawnSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
      expect(manifest.versions.git).toMatchObject({ commit: head, dirty: expect.any(Boolean) });
    } else {
      expect(manifest.versions.git).toBeNull();
    }
    const task = await loadTask({ task: 'leetcode', dataDir: fixtureData });
    expect(Object.keys(scores)).toEqual(task.queries.map((query) => query.id));
    let excludedChecked = 0;
    for (const query of task.queries) {
      const retrieved = Object.keys(scores[query.id]!);
      expect(retrieved).toHaveLength(50);
      for (const id of query.excludedIds) {
        expect(retrieved).not.toContain(id);
        excludedChecked++;
      }
    }
    expect(excludedChecked).toBeGreaterThan(1000);
  });

  it('prints summary.json with --json; a rerun into the same --out converges to the same files, anything else is refused', async () => {
    const out = path.join(work, 'pony');
    const env = { REASONIR_CACHE: path.join(work, 'cache') };
    const first = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '--json'], { env });
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ retriever: 'bm25', queries: 'original', headline: 'NDCG@10', dataset: { revision: 'local' } });
    expect(summary.tasks.pony.num_queries).toBe(112);
    const files = ['summary.json', 'pony/run.trec', 'pony/score.json', 'pony/results.json', 'pony/metrics.json', 'pony/per_query.tsv'];
    const before = await Promise.all(files.map((file) => fs.readFile(path.join(out, file))));

    // a requeued or repeated run: same setting, same folder
    const again = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '--json'], { env });
    expect(again.stderr).not.toMatch(/error/i);
    expect(again.code).toBe(0);
    expect(await Promise.all(files.map((file) => fs.readFile(path.join(out, file))))).toEqual(before);
    expect((await fs.readdir(out)).sort()).toEqual(['pony', 'summary.json']);

    const otherSetting = await runReasonir(['eval', '--task', 'pony', '--queries', 'gpt4', '--data-dir', fixtureData, '--out', out], { env });
    expect(otherSetting.code).toBe(2);
    expect(otherSetting.stderr).toContain('holds results of another setting (bm25, not bm25 +gpt4)');
    // another depth would leave tasks of two top_k values under one summary: refused, the folder untouched
    const otherDepth = await runReasonir(['eval', '--task', 'pony', '--top-k', '10', '--data-dir', fixtureData, '--out', out], { env });
    expect(otherDepth.code).toBe(2);
    expect(otherDepth.stderr).toContain('top_k: the folder has 1000, this run 10');
    expect(await Promise.all(files.map((file) => fs.readFile(path.join(out, file))))).toEqual(before);

    const foreign = path.join(work, 'foreign');
    await fs.mkdir(foreign);
    await fs.writeFile(path.join(foreign, 'notes.txt'), 'mine');
    const refused = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', foreign], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already contains files and is not a reasonir results folder');
  });

  it('a second writer of the same --out stops with exit 2 while the first holds it; a dead holder\'s lock is taken over', async () => {
    const out = path.join(work, 'locked');
    await fs.mkdir(out);
    const env = { REASONIR_CACHE: path.join(work, 'cache') };
    // this test process is alive on this host: its lock is live
    await fs.writeFile(path.join(out, '.reasonir.lock'), `${JSON.stringify({ pid: process.pid, hostname: os.hostname(), started: '2026-01-01T00:00:00.000Z' })}\n`);
    const second = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out], { env });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`is being written by another reasonir process (pid ${process.pid} on ${os.hostname()}`);
    expect(existsSync(path.join(out, 'summary.json'))).toBe(false);

    // a process that no longer exists (spawned and finished): its lock is stale
    const gone = spawn(process.execPath, ['-e', '']);
    const deadPid = gone.pid!;
    await new Promise((resolve) => gone.on('close', resolve));
    await fs.writeFile(path.join(out, '.reasonir.lock'), `${JSON.stringify({ pid: deadPid, hostname: os.hostname(), started: '2026-01-01T00:00:00.000Z' })}\n`);
    const takeover = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out], { env });
    expect(takeover.code).toBe(0);
    expect((await fs.readdir(out)).sort()).toEqual(['pony', 'summary.json']);
  });

  it('two evals started together into one --out: one writes, the other waits for nothing and says why', async () => {
    const out = path.join(work, 'race');
    const env = { REASONIR_CACHE: path.join(work, 'cache') };
    const args = ['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out];
    const results = await Promise.all([runReasonir(args, { env }), runReasonir(args, { env })]);
    const codes = results.map((result) => result.code).sort();
    // whichever order they ran in, neither crashes: both finished (one after the other) or one was refused
    for (const result of results) expect([0, 2]).toContain(result.code);
    if (codes[0] === 0 && codes[1] === 2) expect(results.find((r) => r.code === 2)!.stderr).toContain('is being written by another reasonir process');
    expect((await fs.readdir(out)).sort()).toEqual(['pony', 'summary.json']);
  });

  it('evaluates reasoning queries and the long-document setting', async () => {
    const reasoning = await runReasonir(
      ['eval', '--task', 'pony', '--queries', 'gpt4', '--data-dir', fixtureData, '--out', path.join(work, 'gpt4'), '--json'],
      { env: { REASONIR_CACHE: path.join(work, 'cache') } },
    );
    expect(reasoning.code).toBe(0);
    expect(JSON.parse(reasoning.stdout).queries).toBe('gpt4');
    const long = await runReasonir(
      ['eval', '--task', 'pony', '--long', '--data-dir', fixtureData, '--out', path.join(work, 'long'), '--json'],
      { env: { REASONIR_CACHE: path.join(work, 'cache') } },
    );
    expect(long.code).toBe(0);
    expect(JSON.parse(long.stdout)).toMatchObject({ long: true, headline: 'Recall@1' });
    const noLong = await runReasonir(['eval', '--task', 'leetcode', '--long', '--data-dir', fixtureData, '--out', path.join(work, 'x')]);
    expect(noLong.code).toBe(2);
    expect(noLong.stderr).toContain('no long-document corpus');
  });

  it('names bad input with usage (2) or data (3) exit codes', async () => {
    const unknownTask = await runReasonir(['eval', '--task', 'biolgy']);
    expect(unknownTask.code).toBe(2);
    expect(unknownTask.stderr).toContain('biology');
    const badTopK = await runReasonir(['eval', '--task', 'pony', '--top-k', '0']);
    expect(badTopK.code).toBe(2);
    const badRetriever = await runReasonir(['eval', '--task', 'pony', '--retriever', 'splade']);
    expect(badRetriever.code).toBe(2);
    const missingData = await runReasonir(['eval', '--task', 'biology', '--data-dir', fixtureData, '--out', path.join(work, 'missing')]);
    expect(missingData.code).toBe(3);
    expect(missingData.stderr).toContain('examples/biology-00000-of-00001.parquet does not exist');
    const offline = await runReasonir(['eval', '--task', 'pony', '--out', path.join(work, 'offline')], {
      env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: path.join(work, 'empty-hub') },
    });
    expect(offline.code).toBe(3);
    expect(offline.stderr).toMatch(/offline/i);
  });
});

describe('reasonir eval on the terminal', () => {
  it('collapses each task to one line with value, published value and Δ, ends with the total time, fits 80 columns', async () => {
    const out = path.join(work, 'terminal');
    const result = await runReasonir(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '--top-k', '10'], {
      env: { REASONIR_CACHE: path.join(work, 'cache'), COLUMNS: '80' },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^\[1\/1\] pony  NDCG@10 18\.\d\d  published 7\.9  Δ \+10\.\d\d  \d/m);
    expect(result.stderr).toMatch(new RegExp(`^1 task in [0-9.]+s; results in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    // a cut below the measures' cutoffs is said once, before the work
    expect(result.stderr).toContain('warning: --top-k 10 keeps 10 documents per query: measures at cutoffs 25, 50, 100, 1000 (Recall@100');
    const lines = result.stdout.split('\n').filter((line) => !line.startsWith('note: '));
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(result.stdout).toMatch(/^task +NDCG@10 +published +Δ/m);
    expect(result.stdout).toMatch(/^pony +18\.\d\d +7\.9 +\+10\.\d\d/m);
    expect(result.stdout).toContain('[2] BM25 (BRIGHT paper) [bright-bm25]');

    const quiet = await runReasonir(['-q', 'eval', '--task', 'pony', '--data-dir', fixtureData, '--out', path.join(work, 'terminal-quiet'), '--top-k', '10'], {
      env: { REASONIR_CACHE: path.join(work, 'cache') },
    });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});

describe('reasonir eval interrupted with Ctrl-C (a real process and signal)', () => {
  it('exits 130 mid-download, leaves no task folder a later run would trust, and marks the summary of finished tasks interrupted', async () => {
    // leetcode finishes; pony's documents download is held until the run has been interrupted, and the signal is
    // sent once the server holds it: a signal sent at a guessed moment could beat the request, which then hung the
    // resumed run below instead (30 s, its REASONIR_HUB_TIMEOUT_MS, then a retry)
    const server = await brightServer();
    let held!: () => void;
    const downloading = new Promise<void>((resolve) => (held = resolve));
    let release!: () => void;
    server.fail({ server: 'hub', pathIncludes: 'documents/pony', heldUntil: new Promise<void>((resolve) => (release = resolve)), onHold: held, times: 1 });
    const out = path.join(work, 'interrupted');
    try {
      const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'cli', 'main.js'), 'eval', '--task', 'leetcode,pony', '--revision', fixtureCommit, '--out', out], {
        env: { ...process.env, ...hubEnvironment(server, path.join(work, 'hub-interrupt')), REASONIR_CACHE: path.join(work, 'cache-interrupt'), REASONIR_HUB_TIMEOUT_MS: '120000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      // a run that ends before it reaches the download fails here with what it printed, not by the test's timeout
      await Promise.race([downloading, closed.then((code) => Promise.reject(new Error(`eval exited ${code} before downloading pony's documents:\n${stderr}`)))]);
      child.kill('SIGINT');
      expect(await closed).toBe(130);
      expect(stderr).toContain('[2/2] pony');
      expect(stderr).toContain('interrupted');
      expect((await fs.readdir(out)).sort()).toEqual(['leetcode', 'summary.json']);
      const summary = JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ requested_tasks: ['leetcode', 'pony'], completed_tasks: ['leetcode'], interrupted: true });
      expect(Object.keys(summary.tasks)).toEqual(['leetcode']);

      // --resume: another setting is refused; the same one keeps leetcode as it is and runs pony
      const env = { ...hubEnvironment(server, path.join(work, 'hub-interrupt')), REASONIR_CACHE: path.join(work, 'cache-interrupt') };
      const leetcodeManifest = await fs.readFile(path.join(out, 'leetcode', 'manifest.json'), 'utf8');
      const other = await runReasonir(['eval', '--resume', out, '--revision', fixtureCommit, '--top-k', '10'], { env });
      expect(other.code).toBe(2);
      expect(other.stderr).toContain('top_k: the folder has 1000, this run 10');
      const resumed = await runReasonir(['eval', '--resume', out, '--revision', fixtureCommit], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/^\[2\/2\] pony  NDCG@10 /m);
      expect(resumed.stderr).not.toContain('[1/2] leetcode');
      expect(await fs.readFile(path.join(out, 'leetcode', 'manifest.json'), 'utf8')).toBe(leetcodeManifest);
      const done = JSON.parse(await fs.readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(done).toMatchObject({ requested_tasks: ['leetcode', 'pony'], completed_tasks: ['leetcode', 'pony'], interrupted: false });
      expect((await fs.readdir(out)).filter((name) => !name.startsWith('.')).sort()).toEqual(['leetcode', 'pony', 'summary.json']);
    } finally {
      release();
      await server.close();
    }
  });
});

describe('reasonir eval flag combinations', () => {
  it('refuses retriever-specific flags with another retriever', async () => {
    const shard = await runReasonir(['eval', '--task', 'pony', '--shard', '0/2']);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toContain('--shard belongs to `reasonir encode --shard i/n`');
    const docEmb = await runReasonir(['eval', '--task', 'pony', '--retriever', 'dense', '--model', 'bge', '--doc-emb', 'x.npy']);
    expect(docEmb.code).toBe(2);
    expect(docEmb.stderr).toContain('--doc-emb needs --retriever embeddings');
    const badShard = await runReasonir(['encode', '--task', 'pony', '--retriever', 'dense', '--shard', '2/2']);
    expect(badShard.code).toBe(2);
    expect(badShard.stderr).toContain('0 <= i < n');
  });
});

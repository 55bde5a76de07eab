import { cpSync, copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { KNOWN_DATASETS, parseDatasetOption } from '../../src/dataset/datasets.js';
import { runReasonir } from '../helpers/cli.js';
import { startHfServer, type HfServer } from '../helpers/hf-server.js';
import { fixtureData, hubEnvironment, tempDir } from './support.js';

const mtebRevision = 'c26703e6600d97c579ee2985f16cf307db13ed85';
const forkCommit = 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0';
const brokenCommit = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';

describe('--dataset REPO[@REV]', () => {
  it('knows xlangai/BRIGHT and mteb/BRIGHT with their pinned revisions, pins checksums only where they are established', () => {
    expect(KNOWN_DATASETS.map((entry) => [entry.repo, entry.default_revision, entry.checksums])).toEqual([
      ['xlangai/BRIGHT', '3066d29c9651a576c8aba4832d249807b181ecae', 'configs/tasks.json'],
      ['mteb/BRIGHT', mtebRevision, null],
    ]);
    expect(parseDatasetOption('mteb/BRIGHT')).toMatchObject({ repo: 'mteb/BRIGHT', revision: mtebRevision });
    expect(parseDatasetOption('mteb/bright@main')).toMatchObject({ repo: 'mteb/BRIGHT', revision: 'main' });
    expect(parseDatasetOption('xlangai/BRIGHT').warning).toBeNull();
    expect(parseDatasetOption('mteb/BRIGHT').warning).toContain('no published numbers apply');
    expect(parseDatasetOption('someone/bright-plus')).toMatchObject({ repo: 'someone/bright-plus', revision: 'main', known: null });
    expect(parseDatasetOption('someone/bright-plus').warning).toContain('schema check');
    for (const bad of ['bright', 'a/b/c', '/x', 'a/b@']) {
      expect(() => parseDatasetOption(bad)).toThrow(HarnessError);
    }
  });

  describe('eval against a Hub-like server', () => {
    let server: HfServer;
    let work: { dir: string; remove: () => void };
    beforeAll(async () => {
      work = tempDir('datasets');
      const broken = path.join(work.dir, 'broken');
      cpSync(fixtureData, broken, { recursive: true });
      // a fork whose examples file is really a corpus file: no query / gold_ids columns
      copyFileSync(path.join(fixtureData, 'documents', 'pony-00000-of-00001.parquet'), path.join(broken, 'examples', 'pony-00000-of-00001.parquet'));
      server = await startHfServer({
        repos: [
          { type: 'dataset', repo: 'mteb/BRIGHT', commits: { [mtebRevision]: fixtureData }, branches: { main: mtebRevision } },
          { type: 'dataset', repo: 'someone/bright-plus', commits: { [forkCommit]: fixtureData, [brokenCommit]: broken }, branches: { main: forkCommit, broken: brokenCommit } },
        ],
      });
    });
    afterAll(async () => {
      await server.close();
      work.remove();
    });
    const evaluate = (dataset: string, out: string) =>
      runReasonir(['eval', '--task', 'pony', '--dataset', dataset, '--out', path.join(work.dir, out), '--json'], {
        env: { ...hubEnvironment(server, path.join(work.dir, 'hub')), REASONIR_CACHE: path.join(work.dir, 'cache') },
      });

    it('reads mteb/BRIGHT at its pinned revision, records it in summary and manifest, and warns that no published numbers apply', async () => {
      const result = await evaluate('mteb/BRIGHT', 'mteb');
      expect(result.stderr).not.toContain('internal error');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('no published numbers apply');
      expect(JSON.parse(result.stdout).dataset).toEqual({ repo: 'mteb/BRIGHT', revision: mtebRevision });
      const manifest = JSON.parse(readFileSync(path.join(work.dir, 'mteb', 'pony', 'manifest.json'), 'utf8'));
      expect(manifest.dataset).toMatchObject({ repo: 'mteb/BRIGHT', revision: mtebRevision });
    });

    it('score --task --dataset mteb/BRIGHT scores a run against that dataset\'s gold ids, as eval did', async () => {
      const result = await runReasonir(['score', '--task', 'pony', '--dataset', 'mteb/BRIGHT', '--run', path.join(work.dir, 'mteb', 'pony', 'run.trec'), '--json'], {
        env: hubEnvironment(server, path.join(work.dir, 'hub')),
      });
      expect(result.code, result.stderr).toBe(0);
      const metrics = JSON.parse(readFileSync(path.join(work.dir, 'mteb', 'pony', 'metrics.json'), 'utf8'));
      expect(JSON.parse(result.stdout).aggregate['NDCG@10']).toBe(metrics.aggregate['NDCG@10']);
    });

    it('download --dataset fetches mteb/BRIGHT at its pinned revision into its own cache folder', async () => {
      const hub = path.join(work.dir, 'hub-download');
      const result = await runReasonir(['download', '--task', 'pony', '--config', 'examples', '--dataset', 'mteb/BRIGHT', '--json'], { env: hubEnvironment(server, hub) });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ repo: 'mteb/BRIGHT', revision: mtebRevision });
      expect(readFileSync(path.join(hub, 'datasets--mteb--BRIGHT', 'snapshots', mtebRevision, 'examples', 'pony-00000-of-00001.parquet'))).toEqual(
        readFileSync(path.join(fixtureData, 'examples', 'pony-00000-of-00001.parquet')),
      );
    });

    it('reads an unknown repo by schema check with a warning, and refuses one whose files lack BRIGHT\'s columns (exit 3)', async () => {
      const fork = await evaluate('someone/bright-plus', 'fork');
      expect(fork.code, fork.stderr).toBe(0);
      expect(fork.stderr).toContain('not in configs/datasets.json');
      expect(JSON.parse(fork.stdout).dataset).toEqual({ repo: 'someone/bright-plus', revision: forkCommit });
      const broken = await evaluate('someone/bright-plus@broken', 'broken-run');
      expect(broken.code, broken.stderr).toBe(3);
      expect(broken.stderr).toContain('examples/pony-00000-of-00001.parquet');
    });
  });
});

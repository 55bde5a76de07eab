import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTask } from '../../src/dataset/load-task.js';
import { fixturesRoot, repoRoot } from '../helpers/cli.js';
import { testDir } from '../helpers/test-dir.js';

const benchDir = path.join(repoRoot, 'test', 'fixtures', 'ci-bench');
const dataDir = path.join(benchDir, 'data');
const examples = path.join(fixturesRoot, 'bright', 'examples');
const TASKS: Array<[task: string, queries: number, documents: number]> = [
  ['biology', 103, 578],
  ['leetcode', 142, 2024],
  ['theoremqa_theorems', 76, 247],
];

describe('CI benchmark fixture', () => {
  it.each(TASKS)('%s loads as a --data-dir task (%d queries, %d documents), every gold and excluded id present', async (task, queries, documents) => {
    const loaded = await loadTask({ task, dataDir });
    expect(loaded.revision).toBe('local');
    expect(loaded.queries).toHaveLength(queries);
    expect(loaded.corpus.ids).toHaveLength(documents);
    const ids = new Set(loaded.corpus.ids.strings());
    expect(ids.size).toBe(documents);
    for (const query of loaded.queries) {
      for (const id of [...query.goldIds, ...query.excludedIds]) expect(ids.has(id), `${task} ${query.id} ${id}`).toBe(true);
    }
    if (task === 'leetcode') expect(loaded.queries.every((query) => query.excludedIds.length > 0)).toBe(true);
  });

  it('is exactly what tools/make-ci-bench.mjs writes from the BRIGHT examples (test/fixtures/bright/examples)', () => {
    const out = testDir('ci-bench');
    const result = spawnSync(process.execPath, [path.join(repoRoot, 'tools', 'make-ci-bench.mjs'), examples, out], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    for (const [task] of TASKS) {
      for (const config of ['examples', 'documents']) {
        const file = path.join(config, `${task}-00000-of-00001.parquet`);
        expect(readFileSync(path.join(out, file)).equals(readFileSync(path.join(dataDir, file))), file).toBe(true);
      }
    }
  });
});

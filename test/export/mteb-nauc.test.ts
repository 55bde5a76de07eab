import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunFile } from '../../src/eval/run-file.js';
import { confidenceScores, naucScores, numpySum } from '../../src/export/mteb-nauc.js';
import { repoRoot } from '../helpers/cli.js';

const caseDir = path.join(repoRoot, 'test', 'fixtures', 'trec_eval', 'p01_biology_random_scores');
/** numpy 2.4 + scikit-learn 1.9 on the same inputs (tools/make-mteb-nauc-fixture.py). */
const reference = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'mteb', 'nauc-p01.json'), 'utf8')) as {
  metrics: Record<string, number[]>;
  nauc: Record<string, number>;
};

describe('MTEB nAUC with numpy\'s arithmetic', () => {
  it('equals numpy/scikit-learn bit for bit on a golden case (60 values)', async () => {
    const run = await readRunFile(path.join(caseDir, 'run.txt.gz'));
    const confidence = confidenceScores([...run.values()].map((docs) => Array.from(docs.scores)));
    const ours = naucScores(confidence, new Map(Object.entries(reference.metrics)));
    expect(ours.size).toBe(60);
    for (const [name, value] of Object.entries(reference.nauc)) expect(ours.get(name), name).toBe(value);
  });

  it('sums pairwise as np.add.reduce does, not left to right', () => {
    const values = Array.from({ length: 300 }, (_, i) => 1 / (i + 1) + (i % 7) * 1e-9);
    let plain = 0;
    for (const value of values) plain += value;
    // pairwise blocks of 8 over halves: a different rounding path than the running sum
    expect(numpySum(values)).not.toBe(plain);
    expect(numpySum([0.1, 0.2, 0.3])).toBe(0.1 + 0.2 + 0.3);
  });
});

import { readdirSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.js';
import { parseMeasureList } from '../../src/eval/measure.js';
import { parseTrecQrels } from '../../src/eval/trec-qrels.js';
import { writeTaskFolder } from '../../src/results/results-folder.js';
import { runOf } from '../helpers/runs.js';
import { testDir } from '../helpers/test-dir.js';

/** The qrels writer, slowed down and watched: it must settle before a failed task folder is cleaned up. */
const qrelsWriter = vi.hoisted(() => ({ settled: false }));
vi.mock(import('../../src/eval/trec-qrels.js'), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    writeTrecQrels: async (...args: Parameters<typeof original.writeTrecQrels>) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        return await original.writeTrecQrels(...args);
      } finally {
        qrelsWriter.settled = true;
      }
    },
  };
});

describe('writeTaskFolder when one writer fails', () => {
  it('waits for the other writers before it removes the staging folder and reports the failure', async () => {
    const out = testDir('task-folder-settle');
    const qrels = parseTrecQrels('q 0 a 1\n', 'qrels');
    const measures = parseMeasureList('NDCG@10');
    const run = runOf({ q: [['a b', 1]] });
    const writing = writeTaskFolder(out, 'biology', { run, tag: 'tag', qrels, evaluation: evaluate(run, qrels, measures), measures, manifest: () => ({}) });
    // the run writer rejects at once (an id with whitespace); the qrels writer is still writing into the staging folder
    await expect(writing).rejects.toThrow(/document id \(query q\) "a b" is empty or contains whitespace/);
    expect(qrelsWriter.settled).toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });
});

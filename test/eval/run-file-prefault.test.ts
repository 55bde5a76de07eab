import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { DEFAULT_MEASURES } from '../../src/eval/measure.js';
import { readRunFile, readRunForScoring } from '../../src/eval/run-file.js';
import { parseTrecQrels } from '../../src/eval/trec-qrels.js';
import { parseTrecRun } from '../../src/eval/trec-run.js';
import { testDir } from '../helpers/test-dir.js';

// The thread pool's fills (core/prefault.ts) land late here: a fill writes its bytes 5 ms after it was issued, then
// reports. A parse that wrote where a fill was still to come would find its ids and scores overwritten.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    randomFill: (view: Uint8Array, callback: (error: Error | null, view: Uint8Array) => void) =>
      setTimeout(() => {
        view.fill(0xab);
        callback(null, view);
      }, 5),
  };
});

describe('reading a run whose memory the thread pool writes ahead of the parse', () => {
  it('reads a multi-megabyte run as the string parser does, though every fill lands late', async () => {
    const next = seededRandom(71);
    const lines: string[] = [];
    for (let q = 0; q < 120; q++) {
      for (let rank = 1; rank <= 1000; rank++) lines.push(`q${q} Q0 doc_${Math.floor(next() * 1e6)}_${rank} ${rank} ${Math.fround(20 - rank / 100 + next())} run`);
    }
    // a query split in two runs of lines: the columns are reordered at the end
    lines.push('q3 Q0 late_doc 1001 -1.5 run');
    const text = `${lines.join('\n')}\n`;
    const file = path.join(testDir('prefault-run'), 'run.trec');
    writeFileSync(file, text);
    expect(text.length).toBeGreaterThan(5 << 20);
    const expected = parseTrecRun(text, 'r.txt');
    const docs = (run: Map<string, { docIds(): string[]; scores: ArrayLike<number> }>) =>
      [...run].map(([query, list]) => [query, list.docIds(), Array.from(list.scores)]);
    const read = await readRunFile(file);
    const scorable = await readRunForScoring(file);
    // the fills issued past what the parse wrote land now; none may land in what it wrote
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(docs(read)).toEqual(docs(expected));
    const qrels = parseTrecQrels(lines.filter((_, i) => i % 97 === 0).map((line) => `${line.split(' ')[0]} 0 ${line.split(' ')[2]} 1`).join('\n'), 'q.txt');
    expect(evaluate(scorable, qrels, DEFAULT_MEASURES)).toEqual(evaluate(expected, qrels, DEFAULT_MEASURES));
  });
});

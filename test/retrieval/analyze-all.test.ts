import { describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import type { TokenBags } from '../../src/retrieval/analyzer/token-bags.js';

/** The analyzer tables analyze.ts makes, each with the arguments it was made with. */
const made = vi.hoisted(() => [] as Array<{ bags: TokenBags; args: unknown[] }>);
vi.mock(import('../../src/retrieval/analyzer/token-bags.js'), async (original) => {
  const module = await original();
  class Recorded extends module.TokenBags {
    constructor(...args: ConstructorParameters<typeof module.TokenBags>) {
      super(...args);
      made.push({ bags: this, args });
    }
  }
  return { ...module, TokenBags: Recorded };
});

const { analyze, analyzeAll, analyzeStages } = await import('../../src/retrieval/analyzer/analyze.js');

describe('analyzeAll: a run\'s queries analyzed on tables sized for them', () => {
  const random = seededRandom(41);
  const words = ['The', 'cells', "cell's", 'proteins', 'running', 'ran', 'x86_64', '3.14', 'naïve', 'Über', '細胞', 'a', 'of', 'generously', 'hopefully'];
  const text = (length: number) => Array.from({ length }, () => words[Math.floor(random() * words.length)]! + (random() < 0.3 ? String(Math.floor(random() * 5000)) : '')).join(random() < 0.5 ? ' ' : ', ');
  const queries = Array.from({ length: 103 }, (_, i) => text(20 + (i % 7) * 30));

  it('gives analyze()\'s token lists (the JavaScript chain\'s), from tables made without the corpus rooms, then grows them', () => {
    expect(made).toHaveLength(0);
    const lists = analyzeAll(queries);
    expect(lists).toEqual(queries.map((query) => analyzeStages(query).porter));
    expect(made).toHaveLength(1);
    expect(made[0]!.args[3]).toBe(false);
    expect(made[0]!.bags.memory.buffer.byteLength).toBeLessThan(4 * 2 ** 20);
    // far more distinct terms than the tables were sized for: they grow, and analyze() goes on with them
    const numbers = Array.from({ length: 40 }, (_, i) => Array.from({ length: 2000 }, (_, j) => `w${i * 2000 + j}`).join(' '));
    for (const more of numbers) expect(analyze(more)).toEqual(analyzeStages(more).porter);
    expect(analyzeAll(queries)).toEqual(lists);
    expect(made).toHaveLength(1);
  });
});

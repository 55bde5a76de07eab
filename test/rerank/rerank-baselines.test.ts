import { describe, expect, it } from 'vitest';
import { defaultBaselineFor, loadPublishedBaselines } from '../../src/report/baseline.js';

describe('published rows for reranked settings', () => {
  it('an interpolated QwenRerank of a reasonir +gpt4 run is compared with ReasonIR\'s 36.9 row', async () => {
    const rows = await loadPublishedBaselines();
    const base = { retriever: 'dense', model: 'reasonir', queries: 'gpt4', long: false };
    const row = defaultBaselineFor({ ...base, reranker: { model: 'Qwen/Qwen2.5-32B-Instruct', run: 'interpolated' } }, rows);
    expect(row?.name).toBe('reasonir-gpt4-rerank');
    expect(row?.measures['NDCG@10']).toEqual({
      tasks: {
        biology: 58.2, earth_science: 53.2, economics: 32, psychology: 43.6, robotics: 28.8, stackoverflow: 37.6, sustainable_living: 36,
        leetcode: 33.2, pony: 34.8, aops: 7.9, theoremqa_questions: 32.6, theoremqa_theorems: 45,
      },
      avg: 36.9,
    });
    // the retriever alone still gets 29.9; the reranker-only run and other rerankers get no default
    expect(defaultBaselineFor(base, rows)?.name).toBe('reasonir-gpt4');
    expect(defaultBaselineFor({ ...base, reranker: { model: 'Qwen/Qwen2.5-32B-Instruct', run: 'reranker-only' } }, rows)).toBeNull();
    expect(defaultBaselineFor({ ...base, reranker: { model: 'gpt-4o', run: 'interpolated' } }, rows)).toBeNull();
  });

  it('lists BRIGHT\'s leaderboard reranking averages (SPEC §1.12)', async () => {
    const rows = (await loadPublishedBaselines()).filter((row) => row.name.startsWith('leaderboard-rerank-'));
    expect(Object.fromEntries(rows.map((row) => [row.name, row.measures['NDCG@10']!.avg]))).toEqual({
      'leaderboard-rerank-google-gpt-4-top10': 21.5, 'leaderboard-rerank-google-gpt-4-top100': 22.6,
      'leaderboard-rerank-google-minilm-top10': 16.0, 'leaderboard-rerank-google-minilm-top100': 9.2,
      'leaderboard-rerank-google-gemini-top10': 20.1, 'leaderboard-rerank-bm25-gpt-4-top10': 17.4,
      'leaderboard-rerank-bm25-gpt-4-top100': 17.0, 'leaderboard-rerank-bm25-minilm-top10': 13.1,
      'leaderboard-rerank-bm25-minilm-top100': 8.3, 'leaderboard-rerank-bm25-gemini-top10': 15.7,
    });
  });
});

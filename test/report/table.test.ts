import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublishedBaselines, selectBaselines } from '../../src/report/baseline.js';
import { buildComparisonTable, buildComparisonWithDelta } from '../../src/report/comparison-table.js';
import { renderComparison, renderTable } from '../../src/report/render-table.js';
import { readResultsDirs } from '../../src/results/results-folder.js';
import { repoRoot } from '../helpers/cli.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'results');
const dir = (name: string) => path.join(fixtures, name);

describe('comparison table', () => {
  it('puts runs and published rows in paper column order, x100, averages from unrounded values', async () => {
    const runs = await readResultsDirs([dir('bm25-full'), dir('run-a')]);
    const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25']);
    const table = buildComparisonTable(runs, baselines);
    expect(table.columns.map((column) => column.heading)).toEqual(['Bio', 'Earth', 'Econ', 'Psy', 'Rob', 'Stack', 'Sus', 'Leet', 'Pony', 'AoPS', 'TheoQ', 'TheoT']);
    expect(table.columns.map((column) => column.group)).toEqual([...Array(7).fill('StackExchange'), 'Coding', 'Coding', ...Array(3).fill('Theorem-based')]);
    const [full, partial, published] = table.rows;
    // mean of the unrounded values (14.5599...), not of the rounded cells (14.5583 -> 14.6 either way here)
    expect(full!.avg).toBeCloseTo(14.559916666666666, 12);
    expect(full!.avgCovers).toBe(12);
    expect(partial!.values.filter((value) => value !== null)).toHaveLength(2);
    expect(partial!.avgCovers).toBe(2);
    expect(partial!.avg).toBe(((0.35614213453909027 + 0.2327324383928644) / 2) * 100);
    expect(published).toMatchObject({ kind: 'published', avg: 14.5, avgSource: 'published', avgCovers: 12 });
  });

  it('renders text with groups, blanks for missing tasks, Avg (k/12) and a delta row', async () => {
    const runs = await readResultsDirs([dir('run-a')]);
    const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25']);
    const text = renderComparison(runs, baselines);
    // golden text, checked by eye: groups, blanks for missing tasks, Avg (k/12), signed delta row
    expect(text).toBe(
      [
        '                             │ StackExchange                               │ Coding      │ Theorem-based      │',
        'NDCG@10 x100                 │   Bio  Earth  Econ   Psy   Rob  Stack   Sus │ Leet   Pony │ AoPS  TheoQ  TheoT │          Avg',
        '─────────────────────────────┼─────────────────────────────────────────────┼─────────────┼────────────────────┼─────────────',
        'bm25                         │  35.6                                       │        23.3 │                    │  29.4 (2/12)',
        'BM25 (BRIGHT paper)          │  18.9   27.2  14.9  12.5  13.6   18.4  15.0 │ 24.4    7.9 │  6.2   10.4    4.9 │         14.5',
        '─────────────────────────────┼─────────────────────────────────────────────┼─────────────┼────────────────────┼─────────────',
        'Δ bm25 − BM25 (BRIGHT paper) │ +16.7                                       │       +15.4 │                    │ +16.0 (2/12)',
        'note: bm25: data revision local, not the pinned 3066d29; published numbers may not be comparable',
        'note: Avg (k/12): the mean over the k tasks the row covers, not comparable with a full average.',
      ].join('\n') + '\n',
    );
    expect(text).toContain('note: Avg (k/12): the mean over the k tasks the row covers');
  });

  it('renders markdown, csv and json', async () => {
    const runs = await readResultsDirs([dir('bm25-full')]);
    const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25']);
    const table = buildComparisonTable(runs, baselines, { delta: 'bright-bm25' });
    const md = renderTable(table, 'md');
    expect(md).toContain('| NDCG@10 x100 | Bio | Earth | Econ | Psy | Rob | Stack | Sus | Leet | Pony | AoPS | TheoQ | TheoT | Avg |');
    expect(md).toContain('| bm25 | 18.9 | 27.2 | 15.0 | 12.5 | 13.6 | 18.4 | 15.0 | 24.4 | 8.2 | 6.2 | 10.4 | 4.9 | 14.6 |');
    expect(md).toContain('| _Δ bm25 − BM25 (BRIGHT paper)_ | +0.0 | +0.0 | +0.1 | -0.0 | +0.0 | -0.0 | +0.0 | +0.0 | +0.3 | -0.0 | +0.0 | +0.0 | +0.1 |');
    const csv = renderTable(table, 'csv').split('\n');
    expect(csv[0]).toBe('row,kind,source,biology,earth_science,economics,psychology,robotics,stackoverflow,sustainable_living,leetcode,pony,aops,theoremqa_questions,theoremqa_theorems,avg,avg_covers,avg_of');
    expect(csv[2]).toBe('BM25 (BRIGHT paper),published,bright-bm25,18.9,27.2,14.9,12.5,13.6,18.4,15.0,24.4,7.9,6.2,10.4,4.9,14.5,12,12');
    const json = JSON.parse(renderTable(table, 'json')) as { rows: Array<{ values: Record<string, number | null>; avg: number }> };
    expect(json.rows[0]!.values.biology).toBe(0.18934 * 100);
    expect(json.rows[0]!.values.economics).toBe(0.1496 * 100);
  });

  it('tabulates another measure and rejects one the run lacks', async () => {
    const runs = await readResultsDirs([dir('bm25-full')]);
    const table = buildComparisonTable(runs, [], { measure: 'recall@100' });
    expect(table.measure).toBe('recall@100');
    expect(table.rows[0]!.values[0]).toBe(0.39761 * 100);
    expect(() => buildComparisonTable(runs, [], { measure: 'MAP@7' })).toThrowError(/has no MAP@7; it has NDCG@10, Recall@100/);
  });

  it('renders the long-document table (8 tasks) with every group name whole, even Coding over Pony alone', async () => {
    const baselines = selectBaselines(await loadPublishedBaselines(), ['leaderboard-long-bm25', 'leaderboard-long-qwen']);
    const text = renderTable(buildComparisonTable([], baselines, { delta: 'leaderboard-long-bm25' }), 'text');
    expect(text).toBe(
      [
        '                                                                        │ StackExchange                          │ Coding │',
        'Recall@1 x100                                                           │ Bio  Earth  Econ  Psy  Rob  Stack  Sus │   Pony │   Avg',
        '────────────────────────────────────────────────────────────────────────┼────────────────────────────────────────┼────────┼──────',
        'BM25 long documents (leaderboard)                                       │                                        │        │  11.4',
        'Qwen long documents (leaderboard)                                       │                                        │        │  27.8',
        '────────────────────────────────────────────────────────────────────────┼────────────────────────────────────────┼────────┼──────',
        'Δ Qwen long documents (leaderboard) − BM25 long documents (leaderboard) │                                        │        │ +16.4',
      ].join('\n') + '\n',
    );
  });

  it('leaves out a published row without the measure, with a note', async () => {
    const runs = await readResultsDirs([dir('bm25-full')]);
    const table = buildComparisonTable(runs, selectBaselines(await loadPublishedBaselines(), ['leaderboard-long-bm25']));
    expect(table.rows).toHaveLength(1);
    expect(table.notes[0]).toMatch(/leaderboard-long-bm25: no NDCG@10 was published \(it has Recall@1\)/);
  });

  it('gives each run one Δ row against its own published row, and none to published rows', async () => {
    const runs = await readResultsDirs([dir('run-a'), dir('run-b')]);
    const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25', 'reasonir-original']);
    const table = buildComparisonWithDelta(runs, baselines);
    expect(table.rows.filter((row) => row.kind === 'delta').map((row) => row.label)).toEqual([
      'Δ bm25 − BM25 (BRIGHT paper)',
      'Δ reasonir − ReasonIR-8B (ReasonIR paper)',
    ]);
    // reasonir's biology 43.1 against ReasonIR's 26.2, not against BM25's 18.9
    expect(table.rows[5]!.values[0]).toBeCloseTo(table.rows[1]!.values[0]! - 26.2, 10);
  });

  it('fits the terminal: the paper layout when it fits in 100+ columns, a transposed table with a legend below', async () => {
    const runs = await readResultsDirs([dir('run-a'), dir('run-b')]);
    const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25', 'reasonir-original']);
    const table = buildComparisonWithDelta(runs, baselines);
    const wide = renderTable(table, 'text', 200);
    expect(wide).toBe(renderTable(table, 'text'));
    expect(wide.split('\n')[1]).toMatch(/^NDCG@10 x100 +│ +Bio +Earth/);
    for (const width of [80, 99, 120]) {
      const narrow = renderTable(table, 'text', width);
      const lines = narrow.split('\n').filter((line) => !line.startsWith('note: ') && line !== '');
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(width === 120 ? 80 : width);
      expect(narrow).toContain('[5] Δ [1] − [3]');
      expect(narrow).toContain('[6] Δ [2] − [4]');
      expect(narrow).toMatch(/^biology +35\.6 +43\.1 +18\.9 +26\.2 +\+16\.7 +\+16\.9$/m);
      expect(narrow).toMatch(/^Avg over +2\/12 +3\/12 +12\/12 +12\/12 +2\/12 +3\/12$/m);
    }
  });

  it('renders a booktabs LaTeX table with the groups as spanning headings and escaped labels', async () => {
    const runs = await readResultsDirs([dir('bm25-full')]);
    const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25']);
    const latex = renderTable(buildComparisonWithDelta(runs, baselines), 'latex');
    expect(latex).toContain('\\begin{tabular}{lrrrrrrrrrrrrr}');
    expect(latex).toContain(' & \\multicolumn{7}{c}{StackExchange} & \\multicolumn{2}{c}{Coding} & \\multicolumn{3}{c}{Theorem-based} & \\\\');
    expect(latex).toContain('\\cmidrule(lr){2-8}\\cmidrule(lr){9-10}\\cmidrule(lr){11-13}');
    expect(latex).toContain('bm25 & 18.9 & 27.2 & 15.0 & 12.5 & 13.6 & 18.4 & 15.0 & 24.4 & 8.2 & 6.2 & 10.4 & 4.9 & 14.6 \\\\');
    expect(latex).toContain('\\textit{$\\Delta$ bm25 $-$ BM25 (BRIGHT paper)} & \\textit{+0.0}');
    expect(latex.trim().split('\n').filter((line) => !line.startsWith('%')).at(-1)).toBe('\\end{tabular}');
  });
});

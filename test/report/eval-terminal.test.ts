import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { withRunContext } from '../../src/core/run-context.js';
import * as baseline from '../../src/report/baseline.js';
import { writeSummary, type RunSummary } from '../../src/results/results-folder.js';
import { testDir } from '../helpers/test-dir.js';

vi.mock(import('../../src/report/baseline.js'), async (original) => {
  const module = await original();
  return { ...module, loadPublishedBaselines: vi.fn(module.loadPublishedBaselines) };
});

const { evalTerminal } = await import('../../src/cli/eval-terminal.js');
const { renderEvalTables } = await import('../../src/pipeline/eval-table.js');

const summary = (aggregate: Record<string, Record<string, number>>): RunSummary => ({
  reasonir_version: '0',
  retriever: 'bm25',
  model: null,
  queries: 'original',
  long: false,
  dataset: { repo: 'xlangai/BRIGHT', revision: 'x' },
  created: '',
  headline: 'NDCG@10',
  tasks: Object.fromEntries(Object.entries(aggregate).map(([task, values]) => [task, { num_queries: 1, aggregate: values }])),
});

describe("eval's terminal lines", () => {
  it('reads the published rows from the first task\'s start, once, and sets each finished task against them', async () => {
    const load = vi.mocked(baseline.loadPublishedBaselines);
    const [row] = await baseline.resolveBaselineOption(undefined, [summary({})]);
    const reference = (task: string) => ((row!.measures['NDCG@10']!.tasks[task]! * 100) / row!.scale).toFixed(1);
    load.mockClear();
    let terminalRows: Promise<baseline.BaselineRow[]> | undefined;
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await withRunContext({ stdout: new PassThrough(), stderr, env: {}, quiet: false, progress: false }, async () => {
      const terminal = evalTerminal();
      expect(load).not.toHaveBeenCalled();
      terminal.taskStarted!('biology', 0, 2);
      expect(load).toHaveBeenCalledTimes(1);
      await terminal.taskFinished!('biology', 0, 2, 1, summary({ biology: { 'NDCG@10': 0.25 } }));
      terminal.taskStarted!('pony', 1, 2);
      await terminal.taskFinished!('pony', 1, 2, 1, summary({ biology: { 'NDCG@10': 0.25 }, pony: { 'NDCG@10': 0.1 } }));
      terminalRows = terminal.publishedRows();
    });
    expect(load).toHaveBeenCalledTimes(1);
    // the final table is set against the same rows
    const rows = terminalRows!;
    expect(load).toHaveBeenCalledTimes(1);
    expect((await rows).map((published) => published.name)).toEqual((await baseline.loadPublishedBaselines()).map((published) => published.name));
    expect(text).toContain(`[1/2] biology  NDCG@10 25.00  published ${reference('biology')}`);
    expect(text).toContain(`[2/2] pony  NDCG@10 10.00  published ${reference('pony')}`);
  });
});

describe("eval's final table", () => {
  it('is set against the published rows it is given (read by the terminal), not rows it reads again', async () => {
    const dir = testDir('eval-table');
    const run = summary({ biology: { 'NDCG@10': 0.25, 'Recall@100': 0.5 }, pony: { 'NDCG@10': 0.1, 'Recall@100': 0.2 } });
    await writeSummary(dir, run);
    const own = await renderEvalTables(dir, run, 200);
    const [row] = await baseline.resolveBaselineOption(undefined, [run]);
    expect(own).toContain(`published: ${row!.label} [${row!.name}]`);
    // the same rows, the default one relabelled: the table names the label it was given
    const given = (await baseline.loadPublishedBaselines()).map((published) => (published.name === row!.name ? { ...published, label: 'as given' } : published));
    const table = await renderEvalTables(dir, run, 200, Promise.resolve(given));
    expect(table).toContain(`published: as given [${row!.name}]`);
    expect(table).toContain('Δ bm25 − as given');
    expect(table).not.toContain(row!.label);
    expect(table.split('\n').length).toBe(own.split('\n').length);
  });
});

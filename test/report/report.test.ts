import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublishedBaselines, selectBaselines } from '../../src/report/baseline.js';
import { buildHtmlReport } from '../../src/report/html-report.js';
import { readResultsDirs } from '../../src/results/results-folder.js';
import { distributionSvg } from '../../src/report/svg-distribution.js';
import { seriesColor } from '../../src/report/chart-palette.js';
import { countColours } from './png-pixels.js';
import { taskColumns } from '../../src/report/task-columns.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';
import { testDir } from '../helpers/test-dir.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'results');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate) => existsSync(candidate));

async function report(): Promise<string> {
  const runs = await readResultsDirs([path.join(fixtures, 'run-a'), path.join(fixtures, 'run-b')]);
  const baselines = selectBaselines(await loadPublishedBaselines(), ['bright-bm25', 'reasonir-original']);
  return buildHtmlReport(runs, baselines, { generated: 'test' });
}

describe('HTML report', () => {
  it('is self-contained: inline style and SVG, no scripts, nothing fetched', async () => {
    const html = await report();
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/);
    expect(html.match(/href=/g)).toBeNull();
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart"');
    expect(html).toContain('class="distribution-chart"');
    expect(html).toContain('xlangai/BRIGHT@local');
    expect(html).toContain('&quot;k1&quot;: 0.9');
  });

  it('leads with each run against its own published row, and carries significance, hardware, time and copyable tables', async () => {
    const html = await report();
    const cards = [...html.matchAll(/<div class="card"[^>]*><div class="what">([^<]*)<\/div><div><span class="value">([^<]*)<\/span>(?:<span class="delta [a-z]+">([^<]*)<\/span>)?<\/div><div class="what">([^<]*)<\/div>/g)].map(
      (match) => match.slice(1),
    );
    expect(cards).toEqual([
      ['bm25: NDCG@10 x100, average over 2/12 tasks (not comparable with a full average)', '29.4', 'Δ +16.0', 'published 14.5 — BM25 (BRIGHT paper); Δ over the 2 tasks both have'],
      ['reasonir: NDCG@10 x100, average over 3/12 tasks (not comparable with a full average)', '29.6', 'Δ +5.7', 'published 24.4 — ReasonIR-8B (ReasonIR paper); Δ over the 3 tasks both have'],
    ]);
    // one Δ row per run, each against its own published row; none between published rows
    expect([...html.matchAll(/<tr class="delta"[^>]*><td>([^<]*)<\/td>/g)].map((match) => match[1])).toEqual([
      'Δ bm25 − BM25 (BRIGHT paper)',
      'Δ reasonir − ReasonIR-8B (ReasonIR paper)',
    ]);
    // compare's paired tests for two runs, the same p-values as `reasonir compare`
    expect(html).toContain('<h2>Significance: reasonir against bm25</h2>');
    expect(html).toContain('<tr><td>biology</td><td>6</td><td>35.6</td><td>43.1</td><td>+7.5</td><td>0.1219</td><td>0.2500 (exact)</td></tr>');
    expect(html).toContain('tasks in one run only (not tested): leetcode');
    expect(html).toContain('<h2>Hardware and wall time per stage</h2>');
    expect(html).toContain('hardware: ? (linux, 2 CPUs)');
    // every bar carries its value
    const bars = [...html.matchAll(/<rect class="bar" data-task="([^"]+)" data-row="(\d)"[^>]*><title>[^<]*: ([0-9.-]+)<\/title>/g)].map((m) => `${m[2]}:${m[1]}:${m[3]}`);
    const values = [...html.matchAll(/<text class="value" data-task="([^"]+)" data-row="(\d)"[^>]*>([^<]*)<\/text>/g)].map((m) => `${m[2]}:${m[1]}:${m[3]}`);
    expect(values).toEqual(bars);
    expect(html).toContain('<pre class="copy">_NDCG@10 x100. StackExchange: Bio, Earth');
    expect(html).toContain('| NDCG@10 x100 | Bio | Earth |');
    expect(html).toContain('<pre class="copy">% requires \\usepackage{booktabs}');
  });

  it('draws an Avg over some of the tasks pale and says so; a full or published Avg stays solid', async () => {
    const html = await report();
    const avgBars = [...html.matchAll(/<rect class="bar" data-task="avg" data-row="(\d)"[^>]*?(fill-opacity="0.4")?><title>([^<]*)<\/title>/g)].map(
      (match) => [match[1], match[2] !== undefined, match[3]],
    );
    expect(avgBars).toEqual([
      ['0', true, 'bm25 — Avg over 2/12 tasks: 29.4'],
      ['1', true, 'reasonir — Avg over 3/12 tasks: 29.6'],
      ['2', false, 'BM25 (BRIGHT paper) — Avg: 14.5'],
      ['3', false, 'ReasonIR-8B (ReasonIR paper) — Avg: 24.4'],
    ]);
    expect(html).toContain('pale Avg bar: mean over only the tasks the row has (k/12)');
  });

  it('keeps the charts wide enough for their captions with few columns (long documents, one run)', () => {
    const columns = taskColumns(true);
    const svg = distributionSvg(columns, [{ label: 'bm25 long', perTask: new Map([['pony', [0, 0.5, 1]]]) }], 'Recall@1');
    expect(Number(/width="(\d+)"/.exec(svg)![1])).toBeGreaterThanOrEqual(560);
  });

  // 2 runs + 2 published rows; bars only where a row has a value (runs: their tasks and Avg; published: 12 + Avg)
  const expectedBars = (2 + 1) + (3 + 1) + 13 + 13;

  it('renders in headless Chromium with one bar per task per row and one box per task per run', async (ctx) => {
    // optional: the summary at the end of `npm test` lists this skip and its reason
    ctx.skip(!chromium, '/usr/bin/chromium is absent (apt-get install -y chromium)');
    const dir = testDir('report');
    const out = path.join(dir, 'report.html');
    const cli = await runReasonir(['report', path.join(fixtures, 'run-a'), path.join(fixtures, 'run-b'), '--baselines', 'bright-bm25,reasonir-original', '--out', out]);
    expect(cli.code).toBe(0);
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(dir, 'profile')}`,
    ];
    const dom = spawnSync(chromium!, [...args, '--dump-dom', `file://${out}`], { encoding: 'utf8', timeout: 60_000 });
    expect(dom.status, dom.stderr).toBe(0);
    const bars = [...dom.stdout.matchAll(/<rect class="bar" data-task="([^"]+)" data-row="(\d)"/g)].map((match) => `${match[2]}:${match[1]}`);
    expect(bars).toHaveLength(expectedBars);
    expect(bars).toContain('0:biology');
    expect(bars).toContain('1:leetcode');
    expect(bars.filter((bar) => bar.startsWith('2:'))).toHaveLength(13);
    const boxes = [...dom.stdout.matchAll(/<rect class="box" data-task="([^"]+)" data-run="(\d)"/g)].map((match) => `${match[2]}:${match[1]}`);
    expect(boxes.sort()).toEqual(['0:biology', '0:pony', '1:biology', '1:leetcode', '1:pony']);
    const shot = spawnSync(chromium!, [...args, '--window-size=1280,1800', `--screenshot=${path.join(dir, 'report.png')}`, `file://${out}`], { encoding: 'utf8', timeout: 60_000 });
    expect(shot.status, shot.stderr).toBe(0);
    // painted, not just parsed: every row's bar colour covers a good area of the screenshot (a bar is 10 px wide)
    const pixels = countColours(await fs.readFile(path.join(dir, 'report.png')), [0, 1, 2, 3].map(seriesColor));
    for (const [colour, count] of Object.entries(pixels)) expect(count, `${colour} pixels`).toBeGreaterThan(1_000);
  }, 150_000);

  it('fits a 1,280 px window with 1 and with 4 runs: no sideways scroll, the whole table and the Avg column visible', async (ctx) => {
    ctx.skip(!chromium, '/usr/bin/chromium is absent (apt-get install -y chromium)');
    const dir = testDir('report-width');
    // two more runs in another query variant (labels `bm25 +gpt4`, `reasonir +gpt4`, and their published rows)
    const variants: string[] = [];
    for (const name of ['run-a', 'run-b']) {
      const copy = path.join(dir, `${name}-gpt4`);
      await fs.cp(path.join(fixtures, name), copy, { recursive: true });
      const summary = JSON.parse(await fs.readFile(path.join(copy, 'summary.json'), 'utf8')) as Record<string, unknown>;
      await fs.writeFile(path.join(copy, 'summary.json'), JSON.stringify({ ...summary, queries: 'gpt4' }));
      variants.push(copy);
    }
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(dir, 'profile')}`, '--window-size=1280,900',
    ];
    for (const runs of [[path.join(fixtures, 'run-a')], [path.join(fixtures, 'run-a'), path.join(fixtures, 'run-b'), ...variants]]) {
      const out = path.join(dir, `report-${runs.length}.html`);
      const cli = await runReasonir(['report', ...runs, '--out', out]);
      expect(cli.code, cli.stderr).toBe(0);
      // the page itself has no script; a copy measures its own layout for the test
      const probe = (await fs.readFile(out, 'utf8')).replace(
        '</body>',
        `<script>const r = (s) => Math.max(...[...document.querySelectorAll(s)].map((e) => e.getBoundingClientRect().right));
document.body.setAttribute('data-probe', JSON.stringify({ scroll: document.documentElement.scrollWidth, view: document.documentElement.clientWidth, table: r('table.scores'), avg: r('table.scores th:last-child'), svg: r('svg') }));</script></body>`,
      );
      const probePath = path.join(dir, `probe-${runs.length}.html`);
      await fs.writeFile(probePath, probe);
      const dom = spawnSync(chromium!, [...args, '--dump-dom', `file://${probePath}`], { encoding: 'utf8', timeout: 60_000 });
      expect(dom.status, dom.stderr).toBe(0);
      const measured = JSON.parse(/data-probe="([^"]+)"/.exec(dom.stdout)![1]!.replace(/&quot;/g, '"')) as Record<string, number>;
      expect(measured.scroll, JSON.stringify(measured)).toBeLessThanOrEqual(measured.view!);
      for (const key of ['table', 'avg', 'svg']) expect(measured[key], `${key} ${JSON.stringify(measured)}`).toBeLessThanOrEqual(measured.view!);
      if (runs.length === 4) {
        const html = await fs.readFile(out, 'utf8');
        expect(html.match(/<div class="card"/g)).toHaveLength(4);
        expect(html.match(/<tr class="delta"/g)).toHaveLength(4);
      }
    }
  }, 150_000);
});

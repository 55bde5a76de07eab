import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPublishedBaselines, selectBaselines } from '../../src/report/baseline.js';
import { buildHtmlReport } from '../../src/report/html-report.js';
import { readResultsDirs } from '../../src/report/results-dir.js';
import { repoRoot, runReasonir } from '../helpers/cli.js';

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

  // 2 runs + 2 published rows; bars only where a row has a value (runs: their tasks and Avg; published: 12 + Avg)
  const expectedBars = (2 + 1) + (3 + 1) + 13 + 13;

  // without chromium the test shows up as skipped, with the reason in its name
  const rendering = chromium ? it : it.skip;
  rendering(`renders in headless Chromium with one bar per task per row and one box per task per run${chromium ? '' : ' [skipped: /usr/bin/chromium is absent; apt-get install -y chromium]'}`, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-report-'));
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
    expect((await fs.stat(path.join(dir, 'report.png'))).size).toBeGreaterThan(20_000);
  });
});

import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Runs beside vitest's default reporter on every `npm test`: prints each skipped test with its reason (a test skips
 * with `ctx.skip(condition, reason)`, see test/helpers/README.md) and the slowest files, so a skip is never silent. With
 * REASONIR_TEST_SUMMARY=<file> it also writes the counts, the skip reasons and each file's time as JSON; .ci/run and
 * bench/test-suite.sh read that file.
 */
export interface TestSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Files that failed without a failing test (an error while loading the file or in a hook). */
  brokenFiles: string[];
  skips: Array<{ test: string; reason: string }>;
  files: Array<{ file: string; seconds: number }>;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const summary: TestSummary = { passed: 0, failed: 0, skipped: 0, brokenFiles: [], skips: [], files: [] };
    for (const module of modules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') summary.passed++;
        else if (result.state === 'failed') {
          summary.failed++;
          failedHere++;
        } else if (result.state === 'skipped') {
          summary.skipped++;
          summary.skips.push({ test: `${module.relativeModuleId} > ${test.fullName}`, reason: result.note ?? 'NO REASON GIVEN (use ctx.skip(reason))' });
        }
      }
      if (!module.ok() && failedHere === 0) summary.brokenFiles.push(module.relativeModuleId);
      const diagnostic = module.diagnostic();
      const seconds = (diagnostic.collectDuration + diagnostic.duration) / 1000;
      summary.files.push({ file: module.relativeModuleId, seconds: Math.round(seconds * 10) / 10 });
    }
    summary.files.sort((a, b) => b.seconds - a.seconds);

    const lines = [''];
    if (summary.skips.length > 0) {
      lines.push(`${summary.skipped} skipped:`);
      for (const skip of summary.skips) lines.push(`  ${skip.test}\n    reason: ${skip.reason}`);
    }
    lines.push(`slowest files: ${summary.files.slice(0, 5).map((f) => `${f.file} ${f.seconds}s`).join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);

    const out = process.env.REASONIR_TEST_SUMMARY;
    if (out) writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  }
}

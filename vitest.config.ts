import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test files that change what a later file in the same process would see: module mocks (vitest keeps a mock
 * registered for the process unless it isolates), environment stubs, fake timers, the working directory. These run
 * each in a fresh process, as vitest does by default; found by reading the files, so a new one is never missed.
 */
const PROCESS_WIDE = /\bvi\.(mock|doMock|stubEnv|stubGlobal|useFakeTimers)\(|process\.chdir\(/;
const root = fileURLToPath(new URL('.', import.meta.url));
const testFiles = readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => path.posix.join('test', file.split(path.sep).join('/')));
const ownProcess = testFiles.filter((file) => PROCESS_WIDE.test(readFileSync(path.join(root, file), 'utf8')));

export default defineConfig({
  test: {
    // `include` is each project's (below): a project that extends this config adds its lists to these
    globalSetup: ['test/helpers/build.ts'],
    setupFiles: ['test/helpers/typed-array-equality.ts'],
    // the default reporter, plus skip reasons, slowest files and (REASONIR_TEST_SUMMARY=<file>) a JSON summary
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    env: {
      // one onnxruntime thread per session: two vitest workers on two cores, and ORT's spinning threads
      // oversubscribe a busy machine badly
      REASONIR_THREADS: '1',
    },
    // generous, so a machine shared by several developers (load 15-25 on 2 cores) slows the suite instead of
    // failing it; speed is measured by `npm run bench -- tests` (45 s per file), not by these limits
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'own-process', include: ownProcess } },
      {
        // A fresh process per file costs ~0.35 s of CPU (Node's start, vitest's runtime, the packages' imports):
        // ~35 s of the suite's ~320. These files share their worker process with the files before them, and
        // fresh-modules.ts re-evaluates every module of ours for each file, so module state still starts anew.
        extends: true,
        test: {
          name: 'shared-process',
          include: ['test/**/*.test.ts'],
          exclude: ownProcess,
          isolate: false,
          setupFiles: ['test/helpers/fresh-modules.ts'],
        },
      },
    ],
  },
});

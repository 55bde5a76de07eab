import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runContext, withProcessRunContext, withRunContext, type RunContext } from '../../src/core/run-context.js';

const sink = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });
const context = (quiet: boolean): RunContext => ({ stdout: sink(), stderr: sink(), env: { RUN: String(quiet) }, quiet, progress: false });

describe('run contexts', () => {
  it("main()'s run is the process's own: seen after awaits and timers, and by code outside any run", async () => {
    const own = context(true);
    const seen = await withProcessRunContext(own, async () => {
      const first = runContext();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return [first, runContext()];
    });
    expect(seen).toEqual([own, own]);
    expect(runContext()).toBe(own);
    // a run entered with withRunContext (the in-process tests) still sees its own
    const other = context(false);
    expect(await withRunContext(other, async () => (await Promise.resolve(), runContext()))).toBe(other);
    expect(runContext()).toBe(own);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { webAssembly } from '../../src/core/wasm-module.js';

describe('the run formatter module compiled ahead', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is compiled off the calling thread once (compileRunLinesAhead), and the formatter then compiles nothing', async () => {
    // a fresh module instance: nothing compiled by an earlier test
    vi.resetModules();
    const { compileRunLinesAhead, runLinesInstance } = await import('../../src/eval/run-lines.js');
    const compiledHere = vi.spyOn(webAssembly, 'Module');
    const compiledAway = vi.spyOn(webAssembly, 'compile');
    const ahead = compileRunLinesAhead();
    // asked again (each task of an eval asks): the same compile
    expect(compileRunLinesAhead()).toBe(ahead);
    await ahead;
    expect(compiledAway).toHaveBeenCalledTimes(1);
    const lines = runLinesInstance();
    expect(compiledHere).not.toHaveBeenCalled();
    // a working instance of the module: 0.1 is written as its shortest decimal
    const at = lines.heap_base();
    const length = lines.shortest_decimal_at(0.1, at);
    expect(Buffer.from(lines.memory.buffer, at, length).toString('latin1')).toBe('0.1');
  });
});

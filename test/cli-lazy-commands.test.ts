import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../src/cli/program.js';
import type { RunContext } from '../src/core/run-context.js';

async function definedCommands(argv: string[]): Promise<string[]> {
  const sink = { write: () => true } as unknown as RunContext['stdout'];
  const io = { stdout: sink, stderr: sink, stdin: new PassThrough(), env: {}, signal: new AbortController().signal };
  const run: RunContext = { stdout: sink, stderr: sink, env: {}, quiet: false, progress: true };
  const program = await createProgram(io, run, argv);
  return program.commands.map((command) => command.name());
}

describe('command modules are loaded on demand', () => {
  it('defines only the command a run names, none for --version, all for help and unknown names', async () => {
    expect(await definedCommands(['--version'])).toEqual([]);
    expect(await definedCommands(['-q', '--no-progress', 'score', '--run', 'r.trec', '--qrels', 'q'])).toEqual(['score']);
    expect(await definedCommands(['tasks', '--json'])).toEqual(['tasks']);
    const all = await definedCommands(['--help']);
    // every command, each once, in the help order (tasks first)
    expect(all[0]).toBe('tasks');
    expect(all).toEqual(expect.arrayContaining(['download', 'score', 'analyze', 'eval', 'table', 'compare', 'check', 'report']));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(13);
    expect(await definedCommands([])).toEqual(all);
    expect(await definedCommands(['evl'])).toEqual(all);
    expect(await definedCommands(['help', 'score'])).toEqual(all);
    expect(await definedCommands(['--version', '--help'])).toEqual(all);
  });
});

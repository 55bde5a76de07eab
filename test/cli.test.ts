import { describe, expect, it } from 'vitest';
import { runReasonir } from './helpers/cli.js';

describe('reasonir CLI surface', () => {
  it('prints help on stdout and exits 0', async () => {
    const result = await runReasonir(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: reasonir');
  });

  it('rejects an unknown option with exit 2 and says which', async () => {
    const result = await runReasonir(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });

  it('rejects an unknown command with exit 2 and a suggestion', async () => {
    const result = await runReasonir(['evl']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'evl'[\s\S]*eval/);
  });
});

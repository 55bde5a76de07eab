import { describe, expect, it } from 'vitest';
import { runReasonir } from '../helpers/cli.js';

describe('reasonir analyze', () => {
  it('prints one JSON token array per stdin line (CRLF and empty lines included)', async () => {
    const result = await runReasonir(['analyze'], { input: "The user's cats aren't running\r\n\nİstanbul ΟΔΟΣ 北京\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('["user","cat","aren\'t","run"]\n[]\n["istanbul","οδοσ","北","京"]\n');
  });

  it('ends lines at \\n only: a lone \\r inside a line stays part of its text (one output line per input line)', async () => {
    const result = await runReasonir(['analyze'], { input: 'cats\rdogs\nbirds\r\n\rfish\r' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('["cat","dog"]\n["bird"]\n["fish"]\n');
  });

  it('reads one JSON string per line with --json, so texts may hold newlines and tabs', async () => {
    const result = await runReasonir(['analyze', '--json'], { input: '"Dogs\\tand\\ncats"\n"e.g. U.S.A."\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('["dog","cat"]\n["e.g","u.s.a"]\n');
  });

  it('names the offending line of bad --json input, exits 3 and keeps the lines before it', async () => {
    const result = await runReasonir(['analyze', '--json'], { input: '"fine"\n42\n"never"\n' });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('["fine"]\n');
    expect(result.stderr).toMatch(/stdin line 2 is JSON number, not a string/);
  });
});

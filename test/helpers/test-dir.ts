import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh folder under the system's temporary directory for the running test, removed when the test ends, passed
 * or failed. A folder a test leaves stays on the machine: a suite run left ~20 of them (~15 MB) in /tmp.
 */
export function testDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `reasonir-${prefix}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

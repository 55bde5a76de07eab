import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prefault } from '../../src/core/prefault.js';
import { readIndexFile } from '../../src/retrieval/bm25/index-cache.js';

const PAGE = 4096;

describe('prefault', () => {
  it("writes into every page of the view's range and nothing outside it", async () => {
    const buffer = new ArrayBuffer(64 * PAGE);
    // a view that starts and ends mid-page
    const view = new Uint16Array(buffer, PAGE + 6, 30 * PAGE);
    await prefault(view);
    const bytes = new Uint8Array(buffer);
    const start = view.byteOffset;
    const end = start + view.byteLength;
    expect(bytes.subarray(0, start).every((byte) => byte === 0)).toBe(true);
    expect(bytes.subarray(end).every((byte) => byte === 0)).toBe(true);
    // random bytes: a page-sized run of zeros inside the range would mean a page left unwritten
    for (let at = start; at < end; at += PAGE) expect(bytes.subarray(at, Math.min(end, at + PAGE)).some((byte) => byte !== 0)).toBe(true);
  });

  it('leaves an index file read into prefaulted memory byte for byte as on disk', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-prefault-'));
    const file = path.join(dir, 'some.bm25idx');
    const contents = randomBytes(37 * PAGE + 123);
    writeFileSync(file, contents);
    expect((await readIndexFile(file))!.equals(contents)).toBe(true);
  });
});

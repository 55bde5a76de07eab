import { pbkdf2, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prefault, PrefaultAhead } from '../../src/core/prefault.js';
import { readIndexFile } from '../../src/retrieval/bm25/index-cache.js';
import { testDir } from '../helpers/test-dir.js';

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
    const dir = testDir('prefault');
    const file = path.join(dir, 'some.bm25idx');
    const contents = randomBytes(37 * PAGE + 123);
    writeFileSync(file, contents);
    expect((await readIndexFile(file))!.equals(contents)).toBe(true);
  });

  it('reads an index file several read windows long byte for byte, each window at its place, into 8-byte-aligned memory', async () => {
    const dir = testDir('prefault');
    const file = path.join(dir, 'large.bm25idx');
    // 5 windows of 256 KiB and a part of one: a window copied to the wrong place, or a last short read dropped, differs
    const contents = randomBytes(5 * (1 << 18) + 12_345);
    writeFileSync(file, contents);
    const read = (await readIndexFile(file))!;
    expect(read.length).toBe(contents.length);
    expect(read.equals(contents)).toBe(true);
    expect(read.byteOffset % 8).toBe(0);
  });

  it('PrefaultAhead: what the caller writes where ready() allows it is never overwritten by a fill, and [0, from) is never filled', async () => {
    const bytes = new Uint8Array(6 << 20);
    const from = 3 * PAGE + 5;
    bytes.fill(7, 0, from);
    const pages = new PrefaultAhead(bytes, from, 1 << 19);
    // the caller writes front to back in uneven steps, as a parser writing the ids of one block after another
    let written = from;
    for (let step = 1; written < bytes.length; step++) {
      const end = Math.min(bytes.length, written + ((step * 37_813) % 400_000) + 1);
      const ready = pages.ready(end);
      if (ready) await ready;
      bytes.fill(step % 250 + 1, written, end);
      written = end;
    }
    // past the end: every fill has finished once this is settled
    await pages.ready(bytes.length + 1);
    expect(bytes.subarray(0, from).every((byte) => byte === 7)).toBe(true);
    written = from;
    for (let step = 1; written < bytes.length; step++) {
      const end = Math.min(bytes.length, written + ((step * 37_813) % 400_000) + 1);
      expect(bytes.subarray(written, end).every((byte) => byte === step % 250 + 1)).toBe(true);
      written = end;
    }
  });

  it('PrefaultAhead: fills run ahead of the caller, up to `ahead` past what it asked for', async () => {
    const bytes = new Uint8Array(4 << 20);
    const pages = new PrefaultAhead(bytes, PAGE, 1 << 20);
    // the first ready() issues [PAGE, PAGE + 1 MB) at once, though [0, PAGE) is all it asks to write
    expect(pages.ready(PAGE)).toBeUndefined();
    await pages.ready(PAGE + (1 << 20));
    for (let at = PAGE; at < PAGE + (1 << 20); at += PAGE) expect(bytes.subarray(at, at + PAGE).some((byte) => byte !== 0)).toBe(true);
    // ready(2 MB) issues fills up to 3 MB and nothing past it
    await pages.ready(2 << 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bytes.subarray((3 << 20) + PAGE).every((byte) => byte === 0)).toBe(true);
    expect(bytes.subarray((3 << 20) - PAGE, 3 << 20).some((byte) => byte !== 0)).toBe(true);
  });

  it('PrefaultAhead: issues no fill before the first ready(), so a caller that never asks may write anywhere (a synchronous parse)', async () => {
    const bytes = new Uint8Array(2 << 20);
    // the thread pool's four threads busy first, so that a fill issued at construction would still be queued
    const busy = Array.from({ length: 4 }, () => new Promise((resolve) => pbkdf2(Buffer.alloc(8), Buffer.alloc(8), 200_000, 32, 'sha256', resolve)));
    new PrefaultAhead(bytes, PAGE, 1 << 20);
    bytes.fill(9);
    // the pool is FIFO: once these and a second round are done, anything queued before them has run
    await Promise.all(busy);
    await Promise.all(Array.from({ length: 4 }, () => prefault(new Uint8Array(PAGE))));
    expect(bytes.every((byte) => byte === 9)).toBe(true);
  });
});

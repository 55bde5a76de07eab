/**
 * The embedding cache never serves bytes that changed on disk: chunks and embeddings.arrow carry a CRC-32 that is
 * checked on every read; a damaged file is reported, removed and encoded again. Temporary files of killed runs
 * are removed by the next run that works in the folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withRunContext } from '../../src/core/run-context.js';
import { ensureEmbeddings, keyDirectory, cacheKey } from '../../src/encode/cache/embedding-cache.js';
import { decodeIndexFile, readIndexFile } from '../../src/retrieval/bm25/index-cache.js';

const ids = Array.from({ length: 10 }, (_, i) => `doc-${i}`);
const parts = { model: 'synthetic', dim: 3 };

/** Deterministic vectors; counts the rows it was asked for. */
function encoder() {
  const calls: Array<[number, number]> = [];
  return {
    calls,
    encode: async (start: number, end: number) => {
      calls.push([start, end]);
      const vectors = new Float32Array((end - start) * 3);
      for (let i = 0; i < vectors.length; i++) vectors[i] = Math.sin(start * 3 + i);
      return { vectors, dim: 3 };
    },
  };
}

/** Runs `fn` with log output captured. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  let stderr = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((stderr += chunk.toString()), done()) });
  const value = await withRunContext({ stdout: sink, stderr: sink, env: process.env, quiet: false, progress: false }, fn);
  return { value, stderr };
}

/** A PID that is certainly not running: a child that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-cache-integrity-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('embedding cache integrity', () => {
  it('a flipped byte in embeddings.arrow is reported, and the rows are encoded again to the same bytes', async () => {
    const first = encoder();
    const made = await ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: first.encode });
    expect(made.entry).not.toBeNull();
    const file = path.join(keyDirectory(root, cacheKey(parts)), 'embeddings.arrow');
    const good = readFileSync(file);
    expect(readFileSync(`${file}.crc32`, 'utf8')).toMatch(/^[0-9a-f]{8}\n$/);

    const damaged = Buffer.from(good);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 200) ^ 0x01, damaged.length - 200);
    writeFileSync(file, damaged);
    const second = encoder();
    const { value, stderr } = await captured(() => ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: second.encode }));
    expect(value.entry).not.toBeNull();
    expect(stderr).toMatch(new RegExp(`^warning: cache: ${file.replace(/[.]/g, '\\.')} is damaged \\(its CRC-32 is [0-9a-f]{8}, .*records [0-9a-f]{8}\\); removing it and encoding those rows again\\n$`));
    expect(second.calls).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(readFileSync(file).equals(good)).toBe(true);

    // intact: no encoding, no message
    const third = encoder();
    const again = await captured(() => ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: third.encode }));
    expect([third.calls, again.stderr]).toEqual([[], '']);
  });

  it('a damaged chunk from an earlier shard is re-encoded before assembly', async () => {
    const shard = encoder();
    const partial = await ensureEmbeddings(root, { parts, ids, chunkRows: 4, shard: { index: 0, count: 3 }, encode: shard.encode });
    expect(partial.entry).toBeNull();
    const chunk = path.join(keyDirectory(root, cacheKey(parts)), 'chunks', '000000.arrow');
    const bytes = readFileSync(chunk);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0x10, bytes.length - 100);
    writeFileSync(chunk, bytes);
    const rest = encoder();
    const { value, stderr } = await captured(() => ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: rest.encode }));
    expect(value.entry).not.toBeNull();
    expect(stderr).toContain(`cache: ${chunk} is damaged`);
    // chunks 1 and 2 first, then chunk 0 again after the damage was found
    expect(rest.calls).toEqual([[4, 8], [8, 10], [0, 4]]);
  });

  it('removes temporary files of dead processes, keeps those of live ones', async () => {
    const dir = keyDirectory(root, cacheKey(parts));
    await fs.mkdir(dir, { recursive: true });
    const dead = path.join(dir, `embeddings.arrow.${deadPid()}.0badc0de.tmp`);
    const live = path.join(dir, `embeddings.arrow.${process.ppid}.0badc0de.tmp`);
    writeFileSync(dead, 'half an arrow file');
    writeFileSync(live, 'someone is writing this');
    await ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: encoder().encode });
    expect([existsSync(dead), existsSync(live)]).toEqual([false, true]);
  });

  it('leaves no chunks behind when another process assembled the key while this one encoded a chunk', async () => {
    await ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: encoder().encode });
    const dir = keyDirectory(root, cacheKey(parts));
    const file = path.join(dir, 'embeddings.arrow');
    const assembled = [readFileSync(file), readFileSync(`${file}.crc32`)] as const;
    await fs.rm(file);
    await fs.rm(`${file}.crc32`);

    const own = encoder();
    const value = await ensureEmbeddings(root, {
      parts,
      ids,
      chunkRows: 4,
      encode: async (start, end) => {
        // meanwhile: a second process assembles the key and removes chunks/, and a third, started before that,
        // makes chunks/ again; this process's chunk then goes into the new folder
        writeFileSync(file, assembled[0]);
        writeFileSync(`${file}.crc32`, assembled[1]);
        await fs.mkdir(path.join(dir, 'chunks'), { recursive: true });
        return own.encode(start, end);
      },
    });
    expect(value.entry).not.toBeNull();
    expect(own.calls).toEqual([[0, 4]]);
    expect((await fs.readdir(dir)).filter((name) => name.startsWith('chunks'))).toEqual([]);
  });

  it('takes the file of a process that assembled the key after this one wrote the last chunk', async () => {
    await ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: encoder().encode });
    const dir = keyDirectory(root, cacheKey(parts));
    const chunksDir = path.join(dir, 'chunks');
    const file = path.join(dir, 'embeddings.arrow');
    const assembled = [readFileSync(file), readFileSync(`${file}.crc32`)] as const;
    await fs.rm(file);
    await fs.rm(`${file}.crc32`);
    // two of the three chunks there, the key not assembled
    for (const index of [0, 1]) await ensureEmbeddings(root, { parts, ids, chunkRows: 4, shard: { index, count: 3 }, encode: encoder().encode });
    const own = encoder();

    // the other process assembles (file in place, then chunks/ removed) while this one lists chunks/ after its loop
    const readdir = fs.readdir.bind(fs);
    let encoded = false;
    let assembledMeanwhile = false;
    const spy = vi.spyOn(fs, 'readdir').mockImplementation((async (dirPath: string, ...rest: unknown[]) => {
      if (dirPath === chunksDir && encoded && !assembledMeanwhile) {
        assembledMeanwhile = true;
        writeFileSync(file, assembled[0]);
        writeFileSync(`${file}.crc32`, assembled[1]);
        await fs.rm(chunksDir, { recursive: true });
      }
      return (readdir as (...args: unknown[]) => Promise<string[]>)(dirPath, ...rest);
    }) as typeof fs.readdir);
    try {
      const value = await ensureEmbeddings(root, { parts, ids, chunkRows: 4, encode: async (start, end) => ((encoded = true), own.encode(start, end)) });
      expect(assembledMeanwhile).toBe(true);
      expect(value.entry).not.toBeNull();
      expect(value.cachedRows).toBe(ids.length);
    } finally {
      spy.mockRestore();
    }
    expect(own.calls).toEqual([[8, 10]]);
  });
});

describe('BM25 index cache folder', () => {
  it('removes half-written indexes of killed runs', async () => {
    const dir = path.join(root, 'bm25');
    await fs.mkdir(dir, { recursive: true });
    const dead = path.join(dir, `abc.bm25idx.${deadPid()}.12345678.tmp`);
    writeFileSync(dead, Buffer.alloc(1000));
    expect(decodeIndexFile(await readIndexFile(path.join(dir, 'abc.bm25idx')), { corpusSha256: 'x', analyzerVersion: 'y', numDocs: 1 })).toBe(null);
    expect(existsSync(dead)).toBe(false);
  });
});

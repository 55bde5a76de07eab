/**
 * The CLI's own compiled code, kept between runs like Python's __pycache__ (or Node 22's module.enableCompileCache,
 * which Node 20 lacks): each CommonJS chunk of the bundle (tools/bundle-cli.mjs) compiles through V8 with the code
 * cache a previous process left under `<REASONIR_CACHE>/code/`, and a chunk that had none (or a stale one) leaves
 * its own when the process ends, taken then so that it holds every function the run compiled, not only the
 * top-level code. Only our program's code is kept, never anything a command computes from its data. All the chunks'
 * caches lie in one file, rewritten whole when a process compiled any chunk from source: a file per chunk took its
 * ~60 creates and renames at every cold eval's exit: the save took 35-50 ms of its main thread's wall, 6-9 ms of it
 * V8's serializing; one file, 8-13 ms (cold biology evals, six alternating each, load ~2). A cached eval opens the
 * one file and reads each chunk's entry as the chunk loads.
 *
 * Why: a cached BM25 eval compiles ~1.4 MB of chunks on its main thread, the top level when each loads (~25 ms) and
 * each function when first called, before and during its real work: with the cache its main thread took 15-38 ms
 * less CPU (medians of 11 alternating runs under SCHED_RR, the same build with and without the cache).
 *
 * What is trusted, and why each check: V8 checks only its own version, its flags and the source's length, so a
 * chunk edited to the same length would run its old code, and it does not checksum the data (a damaged file could
 * crash the process). Hence: only chunks whose file names carry their content hash (rolldown's `[hash]`: another
 * build's chunk has another name, whatever its files' times say, e.g. npm's fixed mtimes); the chunk's size and
 * mtime as when the cache was made (a chunk edited in place); a sha1 of each chunk's cache data (damage). Anything
 * that does not match is compiled from source as without a cache and replaced at the end. The file appears by rename
 * (cache-dir.ts), so a reader never sees half of one; a file that does not parse is no cache at all.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { forgetTemporary, isStaleTemporary, temporaryPath } from '../core/cache-dir.js';

/** A bundle chunk named by its content: `<name>-<8-character hash>.js` (bundle-cli's chunkFileNames). */
const HASHED_CHUNK = /-[A-Za-z0-9_-]{8}\.js$/;
/** The one cache file in a bundle's folder; the files of chunks `<chunk>.js.v8` are an earlier layout's. */
const CACHE_FILE = 'chunks.v8';
const MAGIC = 'RIC2';
/**
 * magic, the entry count, the bytes before the data (this header and the entries), then per chunk: its name's length
 * (u16) and name, the chunk's size and mtime (float64 ms), the sha1 of its V8 data and the data's length (u32); then
 * the entries' data one after the other, in entry order
 */
const HEADER_BYTES = 4 + 4 + 4;
const FIXED_ENTRY_BYTES = 2 + 8 + 8 + 20 + 4;

/** What Node's CommonJS loader calls to compile and run a module (not in @types/node: internal but stable since Node 0.x). */
interface CompilingModule {
  exports: unknown;
  _compile(content: string, filename: string, format?: string): unknown;
}

export interface CodeCache {
  /** Chunks whose code came from the cache in this process. */
  readonly reused: number;
  /** Writes the cache of every chunk compiled from source in this process, with what it compiled since; returns their names. Never throws. */
  save(): string[];
}

/** A chunk's cache entry: where its data lies in the file, checked against `sha1` only when used. */
interface Entry {
  size: number;
  mtimeMs: number;
  sha1: Uint8Array;
  at: number;
  length: number;
}

/**
 * From now on, the chunks directly in `bundleDir` that this process loads compile through the code cache kept for
 * that folder under `cacheDir` (one folder per Node version, platform and bundle location). Call `save()` last.
 */
export function useCodeCache(bundleDir: string, cacheDir: string): CodeCache {
  const folder = path.join(cacheDir, 'code', `node-${process.version}-${process.platform}-${process.arch}-${createHash('sha1').update(bundleDir).digest('hex').slice(0, 12)}`);
  const file = path.join(folder, CACHE_FILE);
  // open for the whole run: the chunks load one by one as the command needs them, each reading its entry's data
  let cache = openCacheFile(file);
  const compiled: Array<{ name: string; script: vm.Script; size: number; mtimeMs: number }> = [];
  let reused = 0;
  const prototype = (Module as unknown as { prototype: CompilingModule }).prototype;
  const nodeCompile = prototype._compile;
  prototype._compile = function (this: CompilingModule, content: string, filename: string, format?: string): unknown {
    const name = path.basename(filename);
    if (path.dirname(filename) !== bundleDir || !HASHED_CHUNK.test(name)) return nodeCompile.call(this, content, filename, format);
    const { size, mtimeMs } = statSync(filename);
    const cachedData = cache === null ? undefined : validData(cache, name, size, mtimeMs);
    // Node's own CommonJS wrapper, on the chunk's first line so that line numbers stay; a `#!` line becomes a comment
    const source = `(function (exports, require, module, __filename, __dirname) { ${content.startsWith('#!') ? `//${content.slice(2)}` : content}\n});`;
    const script = new vm.Script(source, { filename, ...(cachedData ? { cachedData } : {}) });
    if (cachedData && !script.cachedDataRejected) reused++;
    else compiled.push({ name, script, size, mtimeMs });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, createRequire(filename), this, filename, path.dirname(filename));
  };
  return {
    get reused() {
      return reused;
    },
    save() {
      const written: string[] = [];
      if (cache !== null) closeSync(cache.fd);
      cache = null;
      if (compiled.length === 0) return written;
      let chunks: Set<string>;
      try {
        mkdirSync(folder, { recursive: true });
        // an earlier layout's files, and the temporary files of processes killed while writing
        for (const name of readdirSync(folder)) {
          const stale = path.join(folder, name);
          if (name.endsWith('.js.v8') || isStaleTemporary(stale)) rmSync(stale, { force: true });
        }
        chunks = new Set(readdirSync(bundleDir));
      } catch {
        // a read-only or missing cache folder: the next run compiles from source again
        return written;
      }
      const next = new Map<string, { size: number; mtimeMs: number; sha1: Uint8Array; data: Uint8Array }>();
      for (const { name, script, size, mtimeMs } of compiled) {
        try {
          const data = script.createCachedData();
          next.set(name, { size, mtimeMs, sha1: createHash('sha1').update(data).digest(), data });
          written.push(name);
        } catch {
          // this chunk compiles from source again next time
        }
      }
      // the other chunks' caches as the file holds them now (another process may have written it since this one
      // read it), but not those of chunks this bundle no longer has (an earlier build's: each build names its
      // chunks anew)
      const now = readCacheFile(file);
      for (const [name, { at, length, ...entry }] of now?.entries ?? []) {
        if (!next.has(name) && chunks.has(name)) next.set(name, { ...entry, data: now!.bytes.subarray(at, at + length) });
      }
      const temporary = temporaryPath(file);
      try {
        const fd = openSync(temporary, 'w');
        try {
          writeSync(fd, encodeEntries(next));
          for (const { data } of next.values()) writeSync(fd, data);
        } finally {
          closeSync(fd);
        }
        renameSync(temporary, file);
      } catch {
        rmSync(temporary, { force: true });
        return [];
      } finally {
        forgetTemporary(temporary);
      }
      return written;
    },
  };
}

/** Everything before the entries' data. */
function encodeEntries(entries: ReadonlyMap<string, { size: number; mtimeMs: number; sha1: Uint8Array; data: Uint8Array }>): Buffer {
  const names = [...entries.keys()].map((name) => Buffer.from(name));
  const index = Buffer.alloc(HEADER_BYTES + names.reduce((sum, name) => sum + FIXED_ENTRY_BYTES + name.length, 0));
  index.write(MAGIC, 0, 'latin1');
  index.writeUInt32LE(entries.size, 4);
  index.writeUInt32LE(index.length, 8);
  let at = HEADER_BYTES;
  let i = 0;
  for (const { size, mtimeMs, sha1, data } of entries.values()) {
    const name = names[i++]!;
    at = index.writeUInt16LE(name.length, at);
    at += name.copy(index, at);
    at = index.writeDoubleLE(size, at);
    at = index.writeDoubleLE(mtimeMs, at);
    index.set(sha1, at);
    at = index.writeUInt32LE(data.length, at + 20);
  }
  return index;
}

/**
 * The entries of a cache file's index (`index`: its first bytes, at least the header), each placed in a file of
 * `fileBytes`; null when it does not parse or its data would not fill the file exactly.
 */
function parseIndex(index: Buffer, fileBytes: number): Map<string, Entry> | null {
  try {
    if (index.toString('latin1', 0, 4) !== MAGIC) return null;
    const count = index.readUInt32LE(4);
    const indexBytes = index.readUInt32LE(8);
    const entries = new Map<string, Entry>();
    let at = HEADER_BYTES;
    let dataAt = indexBytes;
    for (let i = 0; i < count; i++) {
      const nameLength = index.readUInt16LE(at);
      const name = index.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      const length = index.readUInt32LE(at + 36);
      entries.set(name, { size: index.readDoubleLE(at), mtimeMs: index.readDoubleLE(at + 8), sha1: index.subarray(at + 16, at + 36), at: dataAt, length });
      at += FIXED_ENTRY_BYTES - 2;
      dataAt += length;
    }
    return at === indexBytes && dataAt === fileBytes ? entries : null;
  } catch {
    // an index shorter than it says (a RangeError from a read past its end)
    return null;
  }
}

/** The cache file open, with its entries; null when there is none or it does not parse (no cache at all). */
function openCacheFile(file: string): { fd: number; entries: Map<string, Entry> } | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const fileBytes = fstatSync(fd).size;
    const header = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, header, 0, HEADER_BYTES, 0) === HEADER_BYTES) {
      const index = Buffer.alloc(Math.min(header.readUInt32LE(8), fileBytes));
      if (index.length >= HEADER_BYTES && readSync(fd, index, 0, index.length, 0) === index.length) {
        const entries = parseIndex(index, fileBytes);
        if (entries !== null) return { fd, entries };
      }
    }
  } catch {
    // unreadable: no cache
  }
  closeSync(fd);
  return null;
}

/** The whole cache file with its entries, for the entries a save carries over; null as for openCacheFile. */
function readCacheFile(file: string): { bytes: Buffer; entries: Map<string, Entry> } | null {
  try {
    const bytes = readFileSync(file);
    const entries = parseIndex(bytes, bytes.length);
    return entries === null ? null : { bytes, entries };
  } catch {
    return null;
  }
}

/**
 * One buffer for every entry this process reads (~60, ~0.9 MB for a cached eval): V8 takes the data during the
 * compile, so the next entry can reuse it, and a fresh page is touched once rather than once per entry (a page's
 * first touch costs ~15 us on the VM this was measured on; reading the whole file at once cost ~200 more faults).
 */
let readBuffer = Buffer.allocUnsafe(0);

/**
 * The V8 data of `name`'s entry if it was made for this very chunk (size and mtime) and is undamaged (sha1), valid
 * until the next call (it lies in readBuffer); undefined otherwise.
 */
function validData(cache: { fd: number; entries: ReadonlyMap<string, Entry> }, name: string, size: number, mtimeMs: number): Buffer | undefined {
  const entry = cache.entries.get(name);
  if (entry === undefined || entry.size !== size || entry.mtimeMs !== mtimeMs || entry.length === 0) return undefined;
  try {
    if (readBuffer.length < entry.length) readBuffer = Buffer.allocUnsafe(Math.max(entry.length, 2 * readBuffer.length));
    const data = readBuffer.subarray(0, readSync(cache.fd, readBuffer, 0, entry.length, entry.at));
    return data.length === entry.length && createHash('sha1').update(data).digest().equals(entry.sha1) ? data : undefined;
  } catch {
    return undefined;
  }
}

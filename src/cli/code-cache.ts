/**
 * The CLI's own compiled code, kept between runs like Python's __pycache__ (or Node 22's module.enableCompileCache,
 * which Node 20 lacks): each CommonJS chunk of the bundle (tools/bundle-cli.mjs) compiles through V8 with the code
 * cache a previous process left under `<REASONIR_CACHE>/code/`, and a chunk that had none (or a stale one) leaves
 * its own when the process ends, taken then so that it holds every function the run compiled, not only the
 * top-level code. Only our program's code is kept, never anything a command computes from its data.
 *
 * Why: a cached BM25 eval compiles ~1.4 MB of chunks on its main thread, the top level when each loads (~25 ms) and
 * each function when first called, before and during its real work: with the cache its main thread took 15-38 ms
 * less CPU (medians of 11 alternating runs under SCHED_RR, the same build with and without the cache).
 *
 * What is trusted, and why each check: V8 checks only its own version, its flags and the source's length, so a
 * chunk edited to the same length would run its old code, and it does not checksum the data (a damaged file could
 * crash the process). Hence: only chunks whose file names carry their content hash (rolldown's `[hash]`: another
 * build's chunk has another name, whatever its files' times say, e.g. npm's fixed mtimes); the chunk's size and
 * mtime as when the cache was made (a chunk edited in place); a sha1 of the cache data (damage). Anything that does
 * not match is compiled from source as without a cache and replaced at the end. Files appear by rename
 * (cache-dir.ts), so a reader never sees half of one.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { forgetTemporary, isStaleTemporary, temporaryPath } from '../core/cache-dir.js';

/** A bundle chunk named by its content: `<name>-<8-character hash>.js` (bundle-cli's chunkFileNames). */
const HASHED_CHUNK = /-[A-Za-z0-9_-]{8}\.js$/;
const MAGIC = 'RIC1';
/** magic, the chunk's size and mtime (float64 ms), the sha1 of the V8 data, then the data */
const HEADER_BYTES = 4 + 8 + 8 + 20;

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

/**
 * From now on, the chunks directly in `bundleDir` that this process loads compile through the code cache kept for
 * that folder under `cacheDir` (one folder per Node version, platform and bundle location). Call `save()` last.
 */
export function useCodeCache(bundleDir: string, cacheDir: string): CodeCache {
  const folder = path.join(cacheDir, 'code', `node-${process.version}-${process.platform}-${process.arch}-${createHash('sha1').update(bundleDir).digest('hex').slice(0, 12)}`);
  let present: Set<string>;
  try {
    present = new Set(readdirSync(folder));
  } catch {
    present = new Set();
  }
  const compiled: Array<{ name: string; script: vm.Script; size: number; mtimeMs: number }> = [];
  let reused = 0;
  const prototype = (Module as unknown as { prototype: CompilingModule }).prototype;
  const nodeCompile = prototype._compile;
  prototype._compile = function (this: CompilingModule, content: string, filename: string, format?: string): unknown {
    const name = path.basename(filename);
    if (path.dirname(filename) !== bundleDir || !HASHED_CHUNK.test(name)) return nodeCompile.call(this, content, filename, format);
    const { size, mtimeMs } = statSync(filename);
    const cachedData = present.has(`${name}.v8`) ? validData(path.join(folder, `${name}.v8`), size, mtimeMs) : undefined;
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
      if (compiled.length === 0) return written;
      try {
        mkdirSync(folder, { recursive: true });
        // the caches of chunks this bundle no longer has (an earlier build's: each build names its chunks anew), and
        // the temporary files of processes killed while writing
        const chunks = new Set(readdirSync(bundleDir));
        for (const name of readdirSync(folder)) {
          const file = path.join(folder, name);
          if (name.endsWith('.js.v8') ? !chunks.has(name.slice(0, -'.v8'.length)) : isStaleTemporary(file)) rmSync(file, { force: true });
        }
      } catch {
        // a read-only or missing cache folder: the next run compiles from source again
        return written;
      }
      for (const { name, script, size, mtimeMs } of compiled) {
        const target = path.join(folder, `${name}.v8`);
        const temporary = temporaryPath(target);
        try {
          const data = script.createCachedData();
          const header = Buffer.alloc(HEADER_BYTES);
          header.write(MAGIC, 0, 'latin1');
          header.writeDoubleLE(size, 4);
          header.writeDoubleLE(mtimeMs, 12);
          createHash('sha1').update(data).digest().copy(header, 20);
          // two writes, not one of a concatenation: its copy would be ~0.9 MB more of fresh pages to fault
          const fd = openSync(temporary, 'w');
          try {
            writeSync(fd, header);
            writeSync(fd, data);
          } finally {
            closeSync(fd);
          }
          renameSync(temporary, target);
          written.push(name);
        } catch {
          rmSync(temporary, { force: true });
        } finally {
          forgetTemporary(temporary);
        }
      }
      return written;
    },
  };
}

/**
 * One buffer for every cache file this process reads (~60 files, ~0.9 MB for a cached eval): V8 takes the data
 * during the compile, so the next file can reuse it, and a fresh page is touched once rather than once per file (a
 * page's first touch costs ~15 us on the VM this was measured on).
 */
let readBuffer = Buffer.allocUnsafe(0);

/**
 * The V8 data of a cache file made for this very chunk (size and mtime) and undamaged (sha1), valid until the next
 * call (it lies in readBuffer); undefined otherwise.
 */
function validData(file: string, size: number, mtimeMs: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = fstatSync(fd).size;
    if (length <= HEADER_BYTES) return undefined;
    if (readBuffer.length < length) readBuffer = Buffer.allocUnsafe(Math.max(length, 2 * readBuffer.length));
    const bytes = readBuffer.subarray(0, readSync(fd, readBuffer, 0, length, 0));
    if (bytes.length !== length || bytes.toString('latin1', 0, 4) !== MAGIC || bytes.readDoubleLE(4) !== size || bytes.readDoubleLE(12) !== mtimeMs) return undefined;
    const data = bytes.subarray(HEADER_BYTES);
    return createHash('sha1').update(data).digest().equals(bytes.subarray(20, HEADER_BYTES)) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

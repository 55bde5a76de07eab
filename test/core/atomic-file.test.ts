import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeAtomicWith, writeFileAtomic, writeFilesAtomic } from '../../src/core/atomic-file.js';

/** Every fsync: the file its descriptor names, and what that file held then (a failure is injected per test). */
const flushes: Array<{ file: string; content: string }> = [];
let failFlushOf: string | null = null;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const fsync = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    const file = readlinkSync(`/proc/self/fd/${fd}`);
    flushes.push({ file, content: real.readFileSync(file, 'utf8') });
    if (failFlushOf !== null && path.basename(file).startsWith(failFlushOf)) {
      setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })));
      return;
    }
    real.fsync(fd, callback);
  };
  return { ...real, default: { ...real, fsync }, fsync };
});
afterEach(() => {
  flushes.length = 0;
  failFlushOf = null;
});

const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFilesAtomic', () => {
  it('lands every file from one producer, in a folder it creates', async () => {
    const folder = path.join(dir, 'new', 'nested');
    await writeFilesAtomic(['a', 'b', 'c'].map((name) => path.join(folder, name)), ([a, b, c]) => {
      a!(Buffer.from('first '));
      b!(Buffer.from('second'));
      a!(Buffer.from('chunk'));
      c!(Buffer.alloc(0));
    });
    expect(readdirSync(folder).sort()).toEqual(['a', 'b', 'c']);
    expect(readFileSync(path.join(folder, 'a'), 'utf8')).toBe('first chunk');
    expect(readFileSync(path.join(folder, 'b'), 'utf8')).toBe('second');
    expect(readFileSync(path.join(folder, 'c'), 'utf8')).toBe('');
  });

  it('lands none and leaves no temporary file when the producer throws; old files stay whole', async () => {
    const folder = path.join(dir, 'failing');
    await writeFilesAtomic([path.join(folder, 'a')], ([a]) => a!(Buffer.from('old')));
    const failing = writeFilesAtomic(['a', 'b'].map((name) => path.join(folder, name)), ([a, b]) => {
      a!(Buffer.from('new'));
      b!(Buffer.from('new'));
      throw new Error('producer failed');
    });
    await expect(failing).rejects.toThrow('producer failed');
    expect(readdirSync(folder)).toEqual(['a']);
    expect(readFileSync(path.join(folder, 'a'), 'utf8')).toBe('old');
  });
});

describe('flushing before landing', () => {
  it('flushes each file, whole, through the descriptor that wrote it, before it lands', async () => {
    const folder = path.join(dir, 'flushed');
    await writeFilesAtomic(['x', 'y'].map((name) => path.join(folder, name)), ([x, y]) => {
      x!(Buffer.from('one'));
      y!(Buffer.from('two'));
      x!(Buffer.from(' more'));
    });
    await writeFileAtomic(path.join(folder, 'z'), 'three');
    // what was flushed is each temporary file's whole content, renamed afterwards onto its target
    expect(flushes.map(({ file, content }) => [path.basename(file).split('.')[0], content, path.dirname(file)])).toEqual([
      ['x', 'one more', folder],
      ['y', 'two', folder],
      ['z', 'three', folder],
    ]);
    expect(flushes.every(({ file }) => !existsSync(file))).toBe(true);
    expect(['x', 'y', 'z'].map((name) => readFileSync(path.join(folder, name), 'utf8'))).toEqual(['one more', 'two', 'three']);
  });

  it('lands none of the files when one flush fails, and leaves no temporary file', async () => {
    const folder = path.join(dir, 'unflushed');
    await writeFilesAtomic([path.join(folder, 'p')], ([p]) => p!(Buffer.from('old')));
    failFlushOf = 'q';
    const failing = writeFilesAtomic(['p', 'q'].map((name) => path.join(folder, name)), ([p, q]) => {
      p!(Buffer.from('new'));
      q!(Buffer.from('new'));
    });
    await expect(failing).rejects.toThrow('EIO');
    expect(readdirSync(folder)).toEqual(['p']);
    expect(readFileSync(path.join(folder, 'p'), 'utf8')).toBe('old');
    await expect(writeFileAtomic(path.join(folder, 'q'), 'single')).rejects.toThrow('EIO');
    expect(readdirSync(folder)).toEqual(['p']);
  });
});

describe('writeAtomicWith', () => {
  it('renames only a verified temporary file', async () => {
    const target = path.join(dir, 'verified.txt');
    writeFileSync(target, 'old');
    const rejecting = writeAtomicWith(target, async (temporary) => writeFileSync(temporary, 'bad'), async () => {
      throw new Error('verification failed');
    });
    await expect(rejecting).rejects.toThrow('verification failed');
    expect(readFileSync(target, 'utf8')).toBe('old');
    await writeAtomicWith(target, async (temporary) => writeFileSync(temporary, 'good'), async (temporary) => {
      expect(readFileSync(temporary, 'utf8')).toBe('good');
    });
    expect(readFileSync(target, 'utf8')).toBe('good');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomicWith, writeFilesAtomic } from '../../src/core/atomic-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'reasonir-atomic-'));

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

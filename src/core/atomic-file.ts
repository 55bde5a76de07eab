import { closeSync, openSync, promises as fs, writeSync } from 'node:fs';
import path from 'node:path';
import { forgetTemporary, temporaryPath } from './cache-dir.js';
import { makeDirectory } from './directories.js';

/**
 * The one way a file appears: `write` fills a unique temporary file in the target's folder, which is fsynced and
 * renamed over the target. Readers see the old file or the complete new one, never a torn write, even when the
 * process is killed midway (the temporary file left then is removed by removeStaleTemporaries). `verify` runs on
 * the finished temporary file, so what is checked is what lands.
 */
export async function writeAtomicWith(
  target: string,
  write: (temporary: string) => Promise<void>,
  verify?: (temporary: string) => Promise<void>,
  options: { makeFolder?: boolean } = {},
): Promise<void> {
  // makeFolder false: a folder that another process removed meanwhile is an ENOENT for the caller, not recreated
  if (options.makeFolder !== false) await makeDirectory(path.dirname(target));
  const temporary = temporaryPath(target);
  try {
    await write(temporary);
    const handle = await fs.open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await verify?.(temporary);
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  } finally {
    forgetTemporary(temporary);
  }
}

export async function writeFileAtomic(filePath: string, data: string | Uint8Array): Promise<void> {
  await writeAtomicWith(filePath, (temporary) => fs.writeFile(temporary, data));
}

/** Copies through a unique temporary file and renames, so concurrent copies to one target never collide. */
export async function copyFileAtomic(source: string, target: string): Promise<void> {
  await writeAtomicWith(target, (temporary) => fs.copyFile(source, temporary));
}

/**
 * Writes several files atomically from one synchronous producer, which sends each file's bytes in chunks to its
 * sink (`sinks[i]` writes `filePaths[i]`), so a file of hundreds of MB is never held whole in memory. A file lands
 * only when `produce` returned; if it throws, none lands.
 */
export async function writeFilesAtomic(filePaths: readonly string[], produce: (sinks: Array<(bytes: Uint8Array) => void>) => void): Promise<void> {
  const open = async (index: number, sinks: Array<(bytes: Uint8Array) => void>): Promise<void> => {
    if (index === filePaths.length) {
      produce(sinks);
      return;
    }
    await writeAtomicWith(filePaths[index]!, async (temporary) => {
      const handle = openSync(temporary, 'w');
      try {
        await open(index + 1, [...sinks, (bytes) => writeAllSync(handle, bytes)]);
      } finally {
        closeSync(handle);
      }
    });
  };
  await open(0, []);
}

function writeAllSync(handle: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length; ) written += writeSync(handle, bytes, written, bytes.length - written);
}

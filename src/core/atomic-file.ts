import { closeSync, fsync, openSync, promises as fs, writeSync } from 'node:fs';
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
  await writeAtomicAll([target], ([temporary]) => write(temporary!), verify && (([temporary]) => verify(temporary!)), options);
}

/**
 * writeAtomicWith for several files written together: their fsyncs run at once, so the flushes overlap instead of
 * queueing one behind the other. A file lands only when `write` (and `verify`) succeeded for all of them.
 */
async function writeAtomicAll(
  targets: readonly string[],
  write: (temporaries: readonly string[]) => Promise<void>,
  verify?: (temporaries: readonly string[]) => Promise<void>,
  options: { makeFolder?: boolean; syncedByWrite?: boolean } = {},
): Promise<void> {
  // makeFolder false: a folder that another process removed meanwhile is an ENOENT for the caller, not recreated
  if (options.makeFolder !== false) for (const folder of new Set(targets.map((target) => path.dirname(target)))) await makeDirectory(folder);
  const temporaries = targets.map((target) => temporaryPath(target));
  try {
    await write(temporaries);
    // syncedByWrite: `write` flushed each file itself, through the descriptor that wrote it
    if (options.syncedByWrite !== true) await Promise.all(temporaries.map(syncFile));
    await verify?.(temporaries);
    for (let i = 0; i < targets.length; i++) await fs.rename(temporaries[i]!, targets[i]!);
  } catch (error) {
    await Promise.all(temporaries.map((temporary) => fs.rm(temporary, { force: true })));
    throw error;
  } finally {
    temporaries.forEach(forgetTemporary);
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(filePath: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([filePath], ([sink]) => sink!(typeof data === 'string' ? Buffer.from(data) : data));
}

/** Copies through a unique temporary file and renames, so concurrent copies to one target never collide. */
export async function copyFileAtomic(source: string, target: string): Promise<void> {
  await writeAtomicWith(target, (temporary) => fs.copyFile(source, temporary));
}

/**
 * Writes several files atomically from one synchronous producer, which sends each file's bytes in chunks to its
 * sink (`sinks[i]` writes `filePaths[i]`), so a file of hundreds of MB is never held whole in memory. A file lands
 * only when `produce` returned; if it throws, none lands.
 *
 * The files are flushed through the descriptors that wrote them, the flushes sent to the thread pool as soon as the
 * producer returns: re-opened to be synced, each file took three trips through the pool, each waiting for a turn of
 * this thread, which was by then formatting the next files (a cached biology eval's run.trec and score.json, ~8 MB,
 * took ~20 ms more to reach the disk after its other files were formatted, all of it on the eval's critical path).
 */
export async function writeFilesAtomic(filePaths: readonly string[], produce: (sinks: Array<(bytes: Uint8Array) => void>) => void): Promise<void> {
  await writeAtomicAll(
    filePaths,
    async (temporaries) => {
      const handles: number[] = [];
      try {
        for (const temporary of temporaries) handles.push(openSync(temporary, 'w'));
        produce(handles.map((handle) => (bytes: Uint8Array) => writeAllSync(handle, bytes)));
        // every flush settles before its descriptor closes (a descriptor closed under a running fsync could be reused)
        const synced = await Promise.allSettled(handles.map(syncDescriptor));
        for (const result of synced) if (result.status === 'rejected') throw result.reason;
      } finally {
        for (const handle of handles) closeSync(handle);
      }
    },
    undefined,
    { syncedByWrite: true },
  );
}

function syncDescriptor(handle: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(handle, (error) => (error ? reject(error) : resolve())));
}

function writeAllSync(handle: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length; ) written += writeSync(handle, bytes, written, bytes.length - written);
}

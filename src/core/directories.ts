/**
 * Creating and checking folders before work starts. `makeDirectory` is mkdir -p with one mkdir per missing
 * ancestor, so it ends after at most one step per path component: a file system that refuses in odd ways (/proc
 * answers ENOENT to every mkdir) fails with that error instead of looping. `checkWritableDirectory` also writes and
 * removes a probe file, so a read-only, full or foreign folder is reported before hours of retrieval, not after.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { forgetTemporary, temporaryPath } from './cache-dir.js';
import { environmentError } from './errors.js';
import { classifyOsError } from './os-errors.js';

export async function makeDirectory(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let current = target; ; current = path.dirname(current)) {
    try {
      const stat = await fs.stat(current);
      if (!stat.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${target}'`), { code: 'ENOTDIR', path: current });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) throw error;
      missing.push(current);
    }
  }
  for (const folder of missing.reverse()) {
    try {
      await fs.mkdir(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // /proc and similar answer ENOENT to mkdir of a folder whose parent exists
      if (code === 'ENOENT') throw environmentError('os.enoent', `the folder ${folder} cannot be created (the file system refused: ${(error as Error).message}); choose another path`, error);
      // EEXIST: another process made it meanwhile
      if (code !== 'EEXIST') throw error;
    }
  }
}

/** Makes `dir` if needed and proves a file can be created in it; failures are exit 3 naming `purpose` and the path. */
export async function checkWritableDirectory(dir: string, purpose: string): Promise<void> {
  const probe = temporaryPath(path.join(dir, '.reasonir-write-check'));
  try {
    await makeDirectory(dir);
    await fs.writeFile(probe, '');
    await fs.rm(probe);
  } catch (error) {
    await fs.rm(probe, { force: true }).catch(() => undefined);
    throw classifyOsError(error, `${purpose} ${dir} is not writable`) ?? error;
  } finally {
    forgetTemporary(probe);
  }
}

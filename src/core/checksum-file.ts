/**
 * A CRC-32 beside a cache file (`<file>.crc32`) for formats that must stay readable by other tools as they are
 * (Arrow IPC embeddings read by pyarrow), so no checksum can go inside. The sidecar is written before the file is
 * renamed into place, so a file without one was never completed by us; a mismatch means the bytes changed on
 * disk. CRC-32 rather than sha256: it catches flipped and lost bytes and costs little on multi-GB files that are
 * checked on every read.
 */
import { promises as fs } from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from './atomic-file.js';

export const checksumPath = (file: string) => `${file}.crc32`;

export async function fileCrc32(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    let value = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 22, autoClose: false })) value = crc32(chunk as Buffer, value);
    return value.toString(16).padStart(8, '0');
  } finally {
    await handle.close();
  }
}

/** Records the checksum of `temporary` (the finished bytes) for the file it becomes, `target`. */
export async function recordChecksum(temporary: string, target: string): Promise<void> {
  await writeFileAtomic(checksumPath(target), `${await fileCrc32(temporary)}\n`);
}

/** Undefined when `file` matches its recorded checksum, else why not. */
export async function checksumProblem(file: string): Promise<string | undefined> {
  let recorded: string;
  try {
    recorded = (await fs.readFile(checksumPath(file), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `it has no checksum file (${checksumPath(file)})`;
    throw error;
  }
  const actual = await fileCrc32(file);
  return actual === recorded ? undefined : `its CRC-32 is ${actual}, ${checksumPath(file)} records ${recorded}`;
}

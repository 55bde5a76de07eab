import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streams the file, so multi-GB model files hash in constant memory. */
export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** JSON with object keys sorted at every level: equal values always hash equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

export interface FileDigests {
  size: number;
  sha256: string;
  md5: string;
  /** Git's object id for the file as a blob: sha1("blob <size>\0" + bytes), the Hub's ETag for non-LFS files. */
  gitSha1: string;
}

/** Every digest a download may be checked against, in one streaming pass over the file as it is on disk. */
export async function fileDigests(filePath: string): Promise<FileDigests> {
  const handle = await fs.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    const gitSha1 = createHash('sha1').update(`blob ${size}\0`);
    let read = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) {
      sha256.update(chunk as Buffer);
      md5.update(chunk as Buffer);
      gitSha1.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
    return { size: read, sha256: sha256.digest('hex'), md5: md5.digest('hex'), gitSha1: gitSha1.digest('hex') };
  } finally {
    await handle.close();
  }
}

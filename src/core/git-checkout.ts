/**
 * A checkout's HEAD commit read from its .git files, for the manifest, when git's own status would find no tracked
 * change without reading any file's content: every index entry's stat data equals its file's and is older than the
 * index (git's "racy" rule), and the index's cached root tree is HEAD's tree, so the index is HEAD. Anything else
 * (a changed, staged, racy or deleted file, an unmerged, assume-unchanged, skip-worktree or submodule entry, a
 * split or sparse index, index version 4, a deltified or missing commit object, reftable or SHA-256 refs) answers
 * null and provenance.ts asks `git status` itself, so this never reports a clean checkout that git would call dirty.
 * Why: running git forks the whole process (here ~10 ms, and every page the process writes afterwards takes a
 * copy-on-write fault) after loading child_process (~10 ms); a cached eval is ~0.7 s in all.
 */
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { constants, inflateSync } from 'node:zlib';

const OID_HEX = /^[0-9a-f]{40}$/;
const EMPTY_BLOB = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** HEAD's commit when `dir` (a checkout's top folder) is provably clean as above; null when git must be asked. */
export function cleanCheckoutCommit(dir: string): string | null {
  try {
    const gitDir = gitDirOf(dir);
    if (gitDir === null) return null;
    const commonDir = existsSync(path.join(gitDir, 'commondir'))
      ? path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    const commit = resolveHead(gitDir, commonDir);
    if (commit === null) return null;
    const indexFile = path.join(gitDir, 'index');
    const rootTree = statCleanIndexTree(dir, readFileSync(indexFile), statSync(indexFile, { bigint: true }).mtimeNs);
    if (rootTree === null || rootTree !== treeOfCommit(commonDir, commit)) return null;
    return commit;
  } catch {
    // anything unreadable or unexpected: git decides
    return null;
  }
}

/** The git folder of a checkout: `.git` itself, or where a worktree's `.git` file points. */
function gitDirOf(dir: string): string | null {
  const dotGit = path.join(dir, '.git');
  const stats = lstatSync(dotGit, { throwIfNoEntry: false });
  if (stats === undefined) return null;
  if (stats.isDirectory()) return dotGit;
  const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
  return pointer ? path.resolve(dir, pointer[1]!.trim()) : null;
}

/** HEAD's commit id through symbolic refs, loose or packed; null when it cannot be read here. */
function resolveHead(gitDir: string, commonDir: string): string | null {
  let ref = 'HEAD';
  for (let depth = 0; depth < 5; depth++) {
    const value = readRef(ref === 'HEAD' ? gitDir : commonDir, commonDir, ref);
    if (value === null) return null;
    if (!value.startsWith('ref: ')) return OID_HEX.test(value) ? value : null;
    ref = value.slice('ref: '.length).trim();
  }
  return null;
}

function readRef(dir: string, commonDir: string, ref: string): string | null {
  const loose = path.join(dir, ...ref.split('/'));
  if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
  const packedRefs = path.join(commonDir, 'packed-refs');
  if (!existsSync(packedRefs)) return null;
  for (const line of readFileSync(packedRefs, 'utf8').split('\n')) {
    if (line.endsWith(` ${ref}`)) return line.slice(0, line.length - ref.length - 1);
  }
  return null;
}

/**
 * The index's cached root tree id when every entry is stat-clean, as git's ie_match_stat compares them (mtime and
 * ctime to the nanosecond, inode, uid, gid, size, file type and owner-executable bit, all as 32-bit values) and not
 * racily clean (modified no earlier than the index was written); null otherwise.
 */
function statCleanIndexTree(dir: string, index: Buffer, indexMtimeNs: bigint): string | null {
  if (index.length < 32 || index.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = index.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  const body = index.length - 20;
  if (!createHash('sha1').update(index.subarray(0, body)).digest().equals(index.subarray(body))) return null;
  const indexSec = indexMtimeNs / 1_000_000_000n;
  const indexNsec = indexMtimeNs % 1_000_000_000n;
  const count = index.readUInt32BE(8);
  let at = 12;
  for (let i = 0; i < count; i++) {
    const flags = index.readUInt16BE(at + 60);
    // assume-unchanged, extended (skip-worktree, intent-to-add), or a merge stage
    if ((flags & 0xf000) !== 0) return null;
    const nameEnd = index.indexOf(0, at + 62);
    if (nameEnd < 0) return null;
    const name = index.toString('utf8', at + 62, nameEnd);
    const mode = index.readUInt32BE(at + 24);
    const size = index.readUInt32BE(at + 36);
    const mtimeSec = BigInt(index.readUInt32BE(at + 8));
    const mtimeNsec = BigInt(index.readUInt32BE(at + 12));
    if (mtimeSec > indexSec || (mtimeSec === indexSec && mtimeNsec >= indexNsec)) return null;
    if (size === 0 && index.toString('hex', at + 40, at + 60) !== EMPTY_BLOB) return null;
    // joined by hand: path.join normalises each of hundreds of paths (index paths are already normal, / separated)
    const stats = lstatSync(`${dir}/${name}`, { bigint: true, throwIfNoEntry: false });
    if (stats === undefined) return null;
    const type = mode & S_IFMT;
    const fileType = Number(stats.mode) & S_IFMT;
    if (type === S_IFREG) {
      if (fileType !== S_IFREG || ((mode ^ Number(stats.mode)) & 0o100) !== 0) return null;
    } else if (type !== S_IFLNK || fileType !== S_IFLNK) {
      return null;
    }
    const u32 = (value: bigint) => Number(BigInt.asUintN(32, value));
    if (
      u32(stats.ctimeNs / 1_000_000_000n) !== index.readUInt32BE(at) ||
      u32(stats.ctimeNs % 1_000_000_000n) !== index.readUInt32BE(at + 4) ||
      u32(stats.mtimeNs / 1_000_000_000n) !== Number(mtimeSec) ||
      u32(stats.mtimeNs % 1_000_000_000n) !== Number(mtimeNsec) ||
      u32(stats.ino) !== index.readUInt32BE(at + 20) ||
      u32(stats.uid) !== index.readUInt32BE(at + 28) ||
      u32(stats.gid) !== index.readUInt32BE(at + 32) ||
      u32(stats.size) !== size
    ) {
      return null;
    }
    // entries are padded with NULs to a multiple of 8 bytes (versions 2 and 3)
    at += Math.floor((nameEnd - at) / 8 + 1) * 8;
  }
  let rootTree: string | null = null;
  while (at + 8 <= body) {
    const signature = index.toString('latin1', at, at + 4);
    const length = index.readUInt32BE(at + 4);
    // an extension whose name starts lower-case (a split or sparse index) changes what the entries mean
    if (signature[0]! < 'A' || signature[0]! > 'Z') return null;
    if (signature === 'TREE') {
      // the root entry comes first: "" NUL, its entry count (-1: invalidated), space, subtree count, LF, tree id
      const header = /^\0(-?\d+) \d+\n/.exec(index.toString('latin1', at + 8, Math.min(at + 8 + 32, at + 8 + length)));
      if (header === null || Number(header[1]) < 0) return null;
      const oidAt = at + 8 + header[0].length;
      rootTree = index.toString('hex', oidAt, oidAt + 20);
    }
    at += 8 + length;
  }
  return rootTree;
}

/** The tree id of a commit stored whole (loose, or undeltified in a pack); null otherwise. */
function treeOfCommit(commonDir: string, commit: string): string | null {
  const objects = path.join(commonDir, 'objects');
  const loose = path.join(objects, commit.slice(0, 2), commit.slice(2));
  let content: Buffer | null = null;
  if (existsSync(loose)) content = inflateSync(readFileSync(loose), { finishFlush: constants.Z_SYNC_FLUSH });
  else content = packedCommit(path.join(objects, 'pack'), commit);
  if (content === null) return null;
  const tree = /^(?:commit \d+\0)?tree ([0-9a-f]{40})\n/.exec(content.toString('latin1', 0, Math.min(content.length, 256)));
  return tree ? tree[1]! : null;
}

/** A commit object's inflated bytes from a pack (version 2 index), when stored whole there; null otherwise. */
function packedCommit(packDir: string, commit: string): Buffer | null {
  if (!existsSync(packDir)) return null;
  const wanted = Buffer.from(commit, 'hex');
  for (const name of readdirSync(packDir)) {
    if (!name.endsWith('.idx')) continue;
    const idx = readFileSync(path.join(packDir, name));
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
    const fanout = 8;
    const total = idx.readUInt32BE(fanout + 255 * 4);
    let low = wanted[0] === 0 ? 0 : idx.readUInt32BE(fanout + (wanted[0]! - 1) * 4);
    let high = idx.readUInt32BE(fanout + wanted[0]! * 4);
    const ids = fanout + 256 * 4;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = idx.compare(wanted, 0, 20, ids + middle * 20, ids + middle * 20 + 20);
      if (order === 0) {
        const offsets = ids + total * 24;
        const offset = idx.readUInt32BE(offsets + middle * 4);
        // offsets past 2 GiB sit in a further table: such packs are left to git
        if ((offset & 0x80000000) !== 0) return null;
        return packedObject(path.join(packDir, `${name.slice(0, -'.idx'.length)}.pack`), offset);
      }
      if (order < 0) low = middle + 1;
      else high = middle;
    }
  }
  return null;
}

function packedObject(packFile: string, offset: number): Buffer | null {
  const fd = openSync(packFile, 'r');
  try {
    const bytes = Buffer.alloc(4096);
    const read = readSync(fd, bytes, 0, bytes.length, offset);
    // type 1 (commit) in bits 4-6 of the first byte; its size continues while the high bit is set
    if (((bytes[0]! >> 4) & 7) !== 1) return null;
    let at = 0;
    while ((bytes[at]! & 0x80) !== 0) at++;
    return inflateSync(bytes.subarray(at + 1, read), { finishFlush: constants.Z_SYNC_FLUSH });
  } finally {
    closeSync(fd);
  }
}

import { closeSync, fstatSync, openSync, promises as fs, readSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { writeAtomicWith } from '../../core/atomic-file.js';
import { removeStaleTemporaries } from '../../core/cache-dir.js';
import { prefault } from '../../core/prefault.js';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import { indexCacheFolder } from './index-cache-folder.js';
import type { AnalyzedIndex } from './gensim-dictionary.js';
import { Vocabulary } from './vocabulary.js';

/**
 * The analyzed-index cache: one binary file per (corpus content, analyzer version), so a second run over the same
 * corpus skips analysis. Layout: magic, header length, JSON header, then 8-byte-aligned little-endian sections,
 * then the SHA-256 of everything before it (hashed several times faster than zlib's CRC-32 here). A file that fails
 * any check is reported and rebuilt, never trusted. Every section loads as a typed-array view of the one file
 * buffer, the terms included (see vocabulary.ts): nothing is parsed per term or per posting.
 * It holds no BM25 weights: those depend on k1 and b, and the model computes them only for query terms.
 */

const MAGIC = 'RIRBM25\n';
/**
 * 5: dfs in 16 bits and term units in 8 bits when they fit, the cfs as their total (avgdl is all BM25 reads of
 * them): 21.1 -> 16.6 MB for biology-sized, every byte of which a run reads and hashes; 4: 16-bit posting rows when
 * every row fits; 3: terms as UTF-16 units with offsets and their hash table, SHA-256 trailer (1: unit lengths, CRC-32).
 */
const FORMAT = 5;
const DIGEST_BYTES = 32;

export interface IndexCacheKey {
  corpusSha256: string;
  analyzerVersion: string;
  numDocs: number;
}

interface Header {
  format: number;
  key: IndexCacheKey;
  numDocs: number;
  numPos: number;
  numNnz: number;
  /** gensim's cfs summed in id order (a JSON number reads back as the same double). */
  cfSum: number;
  vocabularySize: number;
  nnz: number;
  /** Bytes per stored term frequency: 1, 2 or 4 (the smallest that holds the largest, as the builder stores them). */
  tfBytes: 1 | 2 | 4;
  /** Bytes per df: 2 when every df fits. */
  dfBytes: 2 | 4;
  /** Bytes per term unit: 1 when every UTF-16 unit of every term is below 256. */
  unitBytes: 1 | 2;
  /** Bytes per posting's row number: 2 when numDocs <= 65,536 (every file read is paid per page here), else 4. */
  docBytes: 2 | 4;
  /** UTF-16 units of all terms together. */
  termUnits: number;
  /** Slots of the terms' hash table. */
  termSlots: number;
}

export function indexCachePath(cacheDir: string, key: IndexCacheKey): string {
  return path.join(indexCacheFolder(cacheDir), `${sha256Hex(canonicalJson({ format: FORMAT, ...key }))}.bm25idx`);
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * The file's bytes in order: a header, then views of the index's own arrays, each stored at the width it has in
 * memory (the builder already keeps each section in the narrowest width the format allows: 16-bit rows and dfs,
 * 8-bit term units, 1-byte tfs when they fit), so nothing is scanned or converted here and no chunk is a copy.
 */
function fileChunks(key: IndexCacheKey, index: AnalyzedIndex): Uint8Array[] {
  const { vocabulary } = index;
  const header: Header = {
    format: FORMAT,
    key,
    numDocs: index.numDocs,
    numPos: index.numPos,
    numNnz: index.numNnz,
    cfSum: index.cfSum,
    vocabularySize: vocabulary.size,
    nnz: index.postingDocs.length,
    tfBytes: index.postingTfs.BYTES_PER_ELEMENT as Header['tfBytes'],
    dfBytes: index.df.BYTES_PER_ELEMENT as Header['dfBytes'],
    unitBytes: vocabulary.units.BYTES_PER_ELEMENT as Header['unitBytes'],
    docBytes: index.postingDocs.BYTES_PER_ELEMENT as Header['docBytes'],
    termUnits: vocabulary.units.length,
    termSlots: vocabulary.slots.length,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(MAGIC.length + 4 + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(prefix, MAGIC.length + 4);
  const chunks: Uint8Array[] = [prefix];
  const padding = new Uint8Array(8);
  for (const values of [index.docLengths, index.df, index.termOffsets, index.postingDocs, index.postingTfs, vocabulary.offsets, vocabulary.slots, vocabulary.units]) {
    chunks.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    const padded = align8(values.byteLength) - values.byteLength;
    if (padded > 0) chunks.push(padding.subarray(0, padded));
  }
  return chunks;
}

/** The whole file in memory (tests; writeIndexCache writes the same bytes from the index's arrays). */
export function encodeIndex(key: IndexCacheKey, index: AnalyzedIndex): Buffer {
  const body = Buffer.concat(fileChunks(key, index));
  return Buffer.concat([body, digest(body)]);
}

const digest = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** Why a cache file was rejected; the caller warns and rebuilds. */
export class CorruptIndexError extends Error {}

export function decodeIndex(file: Buffer, expected: IndexCacheKey): AnalyzedIndex {
  if (file.length < MAGIC.length + 4 + DIGEST_BYTES || file.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new CorruptIndexError('not a reasonir BM25 index file');
  }
  const bodyLength = file.length - DIGEST_BYTES;
  if (!digest(file.subarray(0, bodyLength)).equals(file.subarray(bodyLength))) {
    throw new CorruptIndexError('checksum mismatch (truncated or damaged file)');
  }
  const headerLength = file.readUInt32LE(MAGIC.length);
  const header = JSON.parse(file.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as Header;
  if (header.format !== FORMAT) throw new CorruptIndexError(`format ${header.format}, expected ${FORMAT}`);
  if (canonicalJson(header.key) !== canonicalJson(expected)) throw new CorruptIndexError('built for a different corpus or analyzer');

  // typed-array views need aligned offsets; a Buffer from the pool may start anywhere
  const bytes = file.byteOffset % 8 === 0 ? file : Buffer.from(file);
  let offset = align8(MAGIC.length + 4 + headerLength);
  const take = <T>(count: number, width: number, view: (buffer: ArrayBufferLike, at: number, length: number) => T): T => {
    if (offset + count * width > bodyLength) throw new CorruptIndexError('sections run past the end of the file');
    const result = view(bytes.buffer, bytes.byteOffset + offset, count);
    offset += align8(count * width);
    return result;
  };
  const u32 = (buffer: ArrayBufferLike, at: number, length: number) => new Uint32Array(buffer, at, length);
  const { numDocs, vocabularySize: v, nnz } = header;
  if (header.dfBytes !== 2 && header.dfBytes !== 4) throw new CorruptIndexError(`${header.dfBytes}-byte dfs`);
  if (header.unitBytes !== 1 && header.unitBytes !== 2) throw new CorruptIndexError(`${header.unitBytes}-byte term units`);
  if (typeof header.cfSum !== 'number' || !Number.isFinite(header.cfSum)) throw new CorruptIndexError('no total of the cfs');
  const docLengths = take(numDocs, 4, u32);
  const df = take(v, header.dfBytes, (buffer, at, length) => (header.dfBytes === 2 ? new Uint16Array(buffer, at, length) : u32(buffer, at, length)));
  const termOffsets = take(v + 1, 4, u32);
  if (header.docBytes !== 2 && header.docBytes !== 4) throw new CorruptIndexError(`${header.docBytes}-byte row numbers`);
  if (header.docBytes === 2 && numDocs > 0x10000) throw new CorruptIndexError('16-bit row numbers for more than 65,536 documents');
  const postingDocs = take(nnz, header.docBytes, (buffer, at, length) => (header.docBytes === 2 ? new Uint16Array(buffer, at, length) : u32(buffer, at, length)));
  const storedTfs = take(nnz, header.tfBytes, (buffer, at, length) =>
    header.tfBytes === 1 ? new Uint8Array(buffer, at, length) : header.tfBytes === 2 ? new Uint16Array(buffer, at, length) : u32(buffer, at, length),
  );
  const unitOffsets = take(v + 1, 4, u32);
  const slots = take(header.termSlots, 4, (buffer, at, length) => new Int32Array(buffer, at, length));
  const units = take(header.termUnits, header.unitBytes, (buffer, at, length) => (header.unitBytes === 1 ? new Uint8Array(buffer, at, length) : new Uint16Array(buffer, at, length)));
  if (offset !== bodyLength) throw new CorruptIndexError('unexpected trailing bytes');
  if (termOffsets[v] !== nnz) throw new CorruptIndexError('postings do not add up');
  if (unitOffsets[v] !== units.length) throw new CorruptIndexError('term table does not add up');
  if (slots.length < 2 * v || (slots.length & (slots.length - 1)) !== 0) throw new CorruptIndexError('term hash table of the wrong size');
  return {
    numDocs,
    numPos: header.numPos,
    numNnz: header.numNnz,
    cfSum: header.cfSum,
    vocabulary: new Vocabulary(units, unitOffsets, slots),
    df,
    docLengths,
    termOffsets,
    postingDocs,
    postingTfs: storedTfs,
  };
}

/**
 * Bytes the kernel reads into at a time. The VM's shadow page tables fault a page separately for the kernel and for
 * user code: the kernel's first write into a page the pool has already written (prefault) still costs a fault, so a
 * read() of a biology-sized file (16.6 MB) into its final buffer took ~25-38 ms on top of the prefault. Read through
 * this one window and copied out, the kernel faults its 64 pages once: ~5-8 ms for the whole file.
 */
const READ_WINDOW = 1 << 18;

/**
 * The cache file's bytes as they are (decodeIndexFile checks them), or null when there is none. A run starts it
 * (Bm25Retriever.prefetch) while it still decodes the corpus ids: one request to the thread pool first writes every
 * page of the fresh buffer (core/prefault.ts: on the VM the first user-mode touch of a page costs ~15 us, ~4k pages
 * here), so that neither the copy nor the hash and search after it fault on this thread. The bytes then come through
 * READ_WINDOW, read synchronously: the thread that waits for them has nothing else to do, and an asynchronous read
 * per window would wait for a turn of its event loop each time.
 */
export async function readIndexFile(filePath: string): Promise<Buffer | null> {
  // half-written indexes of killed runs (up to the full index size) go before this run adds its own
  const cleaned = removeStaleTemporaries(path.dirname(filePath));
  try {
    let fd: number;
    try {
      fd = openSync(filePath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      // On a SharedArrayBuffer, which V8 does not count as this thread's external memory: an ArrayBuffer's bytes count
      // against the old generation's limit until the next full collection, and this file alone (16.6 MB
      // biology-sized, live for the whole search) overran that limit's margin after a collection (a cached run in a
      // process that had already indexed: a mark-compact or two in each cached search, ~3-40 ms each, freeing
      // nothing).
      const file = Buffer.from(new SharedArrayBuffer(size));
      // a memory of its own: a copy within one buffer takes a fresh temporary of the copied size each time
      const window = Buffer.allocUnsafeSlow(Math.min(READ_WINDOW, size));
      await Promise.all([prefault(file), prefault(window)]);
      let filled = 0;
      while (filled < size) {
        const bytesRead = readSync(fd, window, 0, Math.min(window.length, size - filled), filled);
        if (bytesRead === 0) break; // shortened meanwhile: decoding rejects it
        file.set(window.subarray(0, bytesRead), filled);
        filled += bytesRead;
      }
      return file.subarray(0, filled);
    } finally {
      closeSync(fd);
    }
  } finally {
    await cleaned;
  }
}

/** The index in a cache file's bytes (null: no file); throws CorruptIndexError for bytes that cannot be trusted. */
export function decodeIndexFile(file: Buffer | null, key: IndexCacheKey): AnalyzedIndex | null {
  if (file === null) return null;
  try {
    return decodeIndex(file, key);
  } catch (error) {
    if (error instanceof CorruptIndexError) throw error;
    throw new CorruptIndexError(`unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Writes the index file atomically. The bytes go to the file from the thread pool (one gathered write of the
 * index's arrays, mostly the kernel filling fresh page-cache pages) while this thread hashes the same arrays, so
 * the two overlap instead of queueing on the thread that goes on to search. The hash is taken a piece at a time
 * (sha256InTurns): the search that runs meanwhile gets its answers from its workers in between.
 */
export async function writeIndexCache(filePath: string, key: IndexCacheKey, index: AnalyzedIndex): Promise<void> {
  await writeAtomicWith(filePath, async (temporary) => {
    const handle = await fs.open(temporary, 'w');
    try {
      const chunks = fileChunks(key, index);
      const written = writeAllAt(handle, chunks, 0);
      // awaited below; should hashing throw first, its failure must not go unhandled
      written.catch(() => undefined);
      const digest = await sha256InTurns(chunks);
      let length = 0;
      for (const chunk of chunks) length += chunk.length;
      await written;
      await writeAllAt(handle, [digest], length);
    } finally {
      await handle.close();
    }
  });
  await removeOlderFormats(path.dirname(filePath));
}

/**
 * Bytes hashed between two turns of the event loop: ~0.2 ms of this thread. A biology-sized file (16.6 MB) hashed in
 * one go held the thread ~14-30 ms while the ranking worker, sent two queries ahead, waited for its next ones.
 */
const HASH_PIECE = 1 << 18;

/** The SHA-256 of `chunks` one after the other, taken HASH_PIECE bytes at a time with a turn of the event loop between (exported for tests). */
export async function sha256InTurns(chunks: readonly Uint8Array[]): Promise<Buffer> {
  const hash = createHash('sha256');
  let since = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; ) {
      if (since === HASH_PIECE) {
        await new Promise((resolve) => setImmediate(resolve));
        since = 0;
      }
      const end = Math.min(chunk.length, at + HASH_PIECE - since);
      hash.update(chunk.subarray(at, end));
      since += end - at;
      at = end;
    }
  }
  return hash.digest();
}

/** Writes `chunks` one after the other from `position`, again from where a short write stopped (exported for tests). */
export async function writeAllAt(handle: Pick<fs.FileHandle, 'writev'>, chunks: readonly Uint8Array[], position: number): Promise<void> {
  let pending = chunks.filter((chunk) => chunk.length > 0);
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, position);
    position += bytesWritten;
    let skipped = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const chunk of pending) {
      if (skipped >= chunk.length) skipped -= chunk.length;
      else {
        rest.push(skipped > 0 ? chunk.subarray(skipped) : chunk);
        skipped = 0;
      }
    }
    pending = rest;
  }
}

/**
 * Index files of an older format (their names hash the format, so each corpus's old file would stay beside the new
 * one after an upgrade): removed once a new index is written. Files of a newer format (a newer reasonir sharing the
 * cache) and anything that is not an index file are left alone.
 */
async function removeOlderFormats(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith('.bm25idx')) continue;
    const file = path.join(dir, name);
    try {
      const format = await formatOf(file);
      if (format !== null && format < FORMAT) await fs.rm(file, { force: true });
    } catch {
      // unreadable, or removed meanwhile: not ours to judge
    }
  }
}

async function formatOf(file: string): Promise<number | null> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead < MAGIC.length + 4 || head.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
    const end = MAGIC.length + 4 + head.readUInt32LE(MAGIC.length);
    if (end > bytesRead) return null;
    const { format } = JSON.parse(head.toString('utf8', MAGIC.length + 4, end)) as { format?: unknown };
    return typeof format === 'number' ? format : null;
  } finally {
    await handle.close();
  }
}


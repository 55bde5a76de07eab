import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { removeStaleTemporaries } from '../../core/cache-dir.js';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import type { ScoringIndex } from './lucene-bm25-model.js';
import type { NarrowCounts } from './narrow-counts.js';
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
 * 4: 16-bit posting rows when every row fits; 3: terms as UTF-16 units with offsets and their hash table, SHA-256
 * trailer (1: unit lengths, CRC-32).
 */
const FORMAT = 4;
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
  vocabularySize: number;
  nnz: number;
  /** Bytes per stored term frequency: 1, 2 or 4 (the smallest that holds the largest). */
  tfBytes: 1 | 2 | 4;
  /** Bytes per posting's row number: 2 when numDocs <= 65,536 (every file read is paid per page here), else 4. */
  docBytes: 2 | 4;
  /** UTF-16 units of all terms together. */
  termUnits: number;
  /** Slots of the terms' hash table. */
  termSlots: number;
}

export function indexCachePath(cacheDir: string, key: IndexCacheKey): string {
  return path.join(cacheDir, 'bm25', `${sha256Hex(canonicalJson({ format: FORMAT, ...key }))}.bm25idx`);
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function encodeIndex(key: IndexCacheKey, index: ScoringIndex): Buffer {
  let maxTf = 0;
  for (const tf of index.postingTfs) if (tf > maxTf) maxTf = tf;
  const tfBytes = maxTf <= 0xff ? 1 : maxTf <= 0xffff ? 2 : 4;
  const { vocabulary } = index;
  const header: Header = {
    format: FORMAT,
    key,
    numDocs: index.numDocs,
    numPos: index.numPos,
    numNnz: index.numNnz,
    vocabularySize: vocabulary.size,
    nnz: index.postingDocs.length,
    tfBytes,
    docBytes: index.numDocs <= 0x10000 ? 2 : 4,
    termUnits: vocabulary.units.length,
    termSlots: vocabulary.slots.length,
  };
  const stored = index.postingTfs;
  const tfs =
    stored.BYTES_PER_ELEMENT === tfBytes ? stored : tfBytes === 1 ? Uint8Array.from(stored) : tfBytes === 2 ? Uint16Array.from(stored) : Uint32Array.from(stored);
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(MAGIC.length + 4 + headerBytes.length));
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(prefix, MAGIC.length + 4);
  const docs = header.docBytes === index.postingDocs.BYTES_PER_ELEMENT ? index.postingDocs : header.docBytes === 2 ? Uint16Array.from(index.postingDocs) : Uint32Array.from(index.postingDocs);
  const views = sections(index, docs, tfs);
  // one allocation for the whole file: a BRIGHT-sized index is hundreds of MB, so no intermediate copies
  const file = Buffer.alloc(prefix.length + views.reduce((sum, view) => sum + align8(view.byteLength), 0) + DIGEST_BYTES);
  prefix.copy(file, 0);
  let offset = prefix.length;
  for (const view of views) {
    file.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offset);
    offset += align8(view.byteLength);
  }
  digest(file.subarray(0, offset)).copy(file, offset);
  return file;
}

function sections(index: ScoringIndex, docs: Uint16Array | Uint32Array, tfs: NarrowCounts): ArrayBufferView[] {
  const { vocabulary } = index;
  return [index.docLengths, index.df, index.cf, index.termOffsets, docs, tfs, vocabulary.offsets, vocabulary.slots, vocabulary.units];
}

const digest = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** Why a cache file was rejected; the caller warns and rebuilds. */
export class CorruptIndexError extends Error {}

export function decodeIndex(file: Buffer, expected: IndexCacheKey): ScoringIndex {
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
  const docLengths = take(numDocs, 4, u32);
  const df = take(v, 4, u32);
  const cf = take(v, 8, (buffer, at, length) => new Float64Array(buffer, at, length));
  const termOffsets = take(v + 1, 4, u32);
  if (header.docBytes !== 2 && header.docBytes !== 4) throw new CorruptIndexError(`${header.docBytes}-byte row numbers`);
  if (header.docBytes === 2 && numDocs > 0x10000) throw new CorruptIndexError('16-bit row numbers for more than 65,536 documents');
  const postingDocs = take(nnz, header.docBytes, (buffer, at, length) => (header.docBytes === 2 ? new Uint16Array(buffer, at, length) : u32(buffer, at, length)));
  const storedTfs = take(nnz, header.tfBytes, (buffer, at, length) =>
    header.tfBytes === 1 ? new Uint8Array(buffer, at, length) : header.tfBytes === 2 ? new Uint16Array(buffer, at, length) : u32(buffer, at, length),
  );
  const unitOffsets = take(v + 1, 4, u32);
  const slots = take(header.termSlots, 4, (buffer, at, length) => new Int32Array(buffer, at, length));
  const units = take(header.termUnits, 2, (buffer, at, length) => new Uint16Array(buffer, at, length));
  if (offset !== bodyLength) throw new CorruptIndexError('unexpected trailing bytes');
  if (termOffsets[v] !== nnz) throw new CorruptIndexError('postings do not add up');
  if (unitOffsets[v] !== units.length) throw new CorruptIndexError('term table does not add up');
  if (slots.length < 2 * v || (slots.length & (slots.length - 1)) !== 0) throw new CorruptIndexError('term hash table of the wrong size');
  return {
    numDocs,
    numPos: header.numPos,
    numNnz: header.numNnz,
    vocabulary: new Vocabulary(units, unitOffsets, slots),
    df,
    cf,
    docLengths,
    termOffsets,
    postingDocs,
    postingTfs: storedTfs,
  };
}

/** The cached index, or null when there is none; throws CorruptIndexError for a file that cannot be trusted. */
export async function readIndexCache(filePath: string, key: IndexCacheKey): Promise<ScoringIndex | null> {
  // half-written indexes of killed runs (up to the full index size) go before this run adds its own
  await removeStaleTemporaries(path.dirname(filePath));
  let file: Buffer;
  try {
    file = await fs.readFile(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return decodeIndex(file, key);
  } catch (error) {
    if (error instanceof CorruptIndexError) throw error;
    throw new CorruptIndexError(`unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
}

export async function writeIndexCache(filePath: string, key: IndexCacheKey, index: ScoringIndex): Promise<void> {
  await writeFileAtomic(filePath, encodeIndex(key, index));
}

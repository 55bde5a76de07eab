import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeAtomicWith, writeFileAtomic } from '../../core/atomic-file.js';
import { removeStaleTemporaries } from '../../core/cache-dir.js';
import { checksumPath, checksumProblem, recordChecksum } from '../../core/checksum-file.js';
import { makeDirectory } from '../../core/directories.js';
import { dataError, throwIfAborted } from '../../core/errors.js';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import { log } from '../../core/log.js';
import { readArrowBatches, readArrowFile, writeArrowFile, type EmbeddingRows } from './arrow-io.js';

/** Bump when anything in tokenization, pooling or normalisation changes the vectors. Part of every key. */
export const HARNESS_EMBEDDING_VERSION = 1;
export const DEFAULT_CHUNK_ROWS = 2048;

/**
 * Layout of one key: `<root>/embeddings/<k[0:2]>/<k>/`
 *   meta.json          key parts, row count, chunk grid (written once, identical for every writer)
 *   chunks/000017.arrow rows [17*chunkRows, 18*chunkRows), written whole and renamed into place
 *   embeddings.arrow   all rows in order, assembled from the chunks once every chunk exists
 * Every file appears by rename, so a kill at any point leaves only complete files (and stray *.tmp files, which
 * are never read and are removed by the next run). Concurrent writers of one key produce the same chunk files and
 * the same assembly. Chunks and embeddings.arrow carry a CRC-32 sidecar (checksum-file.ts) checked on every read:
 * a damaged file is reported, removed and encoded again, never searched.
 */
export interface CacheRequest {
  /** Everything that changes a vector (never the batch size). */
  parts: Record<string, unknown>;
  ids: readonly string[];
  chunkRows?: number;
  shard?: { index: number; count: number };
  /** Encodes rows [start, end) of the collection; called for ascending, non-overlapping ranges. */
  encode: (start: number, end: number) => Promise<{ vectors: Float32Array; dim: number }>;
  /** Told how many rows were already cached when the work starts, and after each chunk. */
  onProgress?: (doneRows: number, totalRows: number) => void;
  signal?: AbortSignal;
}

export interface CacheEntry {
  key: string;
  file: string;
  rows: number;
  dim: number;
}

export interface CacheOutcome {
  key: string;
  /** The assembled embeddings; null while some other shard's chunks are missing. */
  entry: CacheEntry | null;
  /** The rows this request's shard covers, `[start, end)`. */
  shardRows: [number, number];
  /** Rows this call encoded. */
  builtRows: number;
  /** Rows in the cache afterwards (all of them once assembled). */
  cachedRows: number;
  totalRows: number;
  /** Rows per chunk, the unit shards are made of. */
  chunkRows: number;
}

interface Meta {
  key: string;
  parts: Record<string, unknown>;
  rows: number;
  chunkRows: number;
  idsSha256: string;
}

export function cacheKey(parts: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ harnessEmbeddingVersion: HARNESS_EMBEDDING_VERSION, ...parts }));
}

export function keyDirectory(root: string, key: string): string {
  return path.join(root, 'embeddings', key.slice(0, 2), key);
}

const chunkName = (index: number) => `${String(index).padStart(6, '0')}.arrow`;

/** The shard's contiguous range of chunk indices. */
export function shardChunks(chunkCount: number, shard: { index: number; count: number } | undefined): [number, number] {
  if (!shard) return [0, chunkCount];
  return [Math.floor((shard.index * chunkCount) / shard.count), Math.floor(((shard.index + 1) * chunkCount) / shard.count)];
}

async function readMeta(file: string): Promise<Meta | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Meta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A cache file whose bytes changed on disk; it has been removed, and the caller encodes it again. */
class DamagedCacheFile extends Error {}

/** Removes a damaged file (and its checksum) and says so; the next pass encodes it again. */
async function discardDamaged(file: string, problem: string): Promise<never> {
  log.warn(`cache: ${file} is damaged (${problem}); removing it and encoding those rows again`);
  await fs.rm(file, { force: true });
  await fs.rm(checksumPath(file), { force: true });
  throw new DamagedCacheFile(file);
}

async function checkedFile(file: string): Promise<void> {
  const problem = await checksumProblem(file);
  if (problem !== undefined) await discardDamaged(file, problem);
}

/** Returns the cached embeddings for the request, encoding (this shard of) whatever is missing first. */
export async function ensureEmbeddings(root: string, request: CacheRequest): Promise<CacheOutcome> {
  // a damaged file is removed when found; one more pass re-encodes what it held (a second damage is not chance)
  for (let pass = 0; ; pass++) {
    try {
      return await ensureOnce(root, request);
    } catch (error) {
      if (!(error instanceof DamagedCacheFile) || pass > 0) throw error;
    }
  }
}

async function ensureOnce(root: string, request: CacheRequest): Promise<CacheOutcome> {
  const key = cacheKey(request.parts);
  const dir = keyDirectory(root, key);
  const finalFile = path.join(dir, 'embeddings.arrow');
  const rows = request.ids.length;
  const idsSha256 = sha256Hex(canonicalJson(request.ids));
  await removeStaleTemporaries(dir);
  const chunkRowsWanted = request.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const metaFile = path.join(dir, 'meta.json');
  let meta = await readMeta(metaFile);
  const shardRowsOf = (chunkRows: number): [number, number] => {
    const [first, end] = shardChunks(Math.max(1, Math.ceil(rows / chunkRows)), request.shard);
    return [Math.min(rows, first * chunkRows), Math.min(rows, end * chunkRows)];
  };
  const done = (entry: CacheEntry | null, chunkRows: number, builtRows: number, cachedRows: number): CacheOutcome => ({
    key,
    entry,
    shardRows: shardRowsOf(chunkRows),
    builtRows,
    cachedRows: entry ? rows : cachedRows,
    totalRows: rows,
    chunkRows,
  });
  if (existsSync(finalFile)) return done(await verifiedEntry(key, finalFile, rows), meta?.chunkRows ?? chunkRowsWanted, 0, rows);

  if (!meta) {
    meta = { key, parts: { harnessEmbeddingVersion: HARNESS_EMBEDDING_VERSION, ...request.parts }, rows, chunkRows: chunkRowsWanted, idsSha256 };
    await writeFileAtomic(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  }
  if (meta.rows !== rows || meta.idsSha256 !== idsSha256) {
    throw dataError('embeddings.cache_mismatch', `cache: ${dir} was written for different document ids; delete that directory and rerun`);
  }
  const chunkRows = meta.chunkRows;
  const chunkCount = Math.max(1, Math.ceil(rows / chunkRows));
  const chunksDir = path.join(dir, 'chunks');
  await makeDirectory(chunksDir);
  await removeStaleTemporaries(chunksDir);
  const [first, end] = shardChunks(chunkCount, request.shard);
  const present = async () => (await fs.readdir(chunksDir).catch(() => [] as string[])).filter((name) => /^\d{6}\.arrow$/.test(name));
  const existing = new Set(await present());
  let cached = 0;
  let built = 0;
  for (let c = 0; c < chunkCount; c++) if (existing.has(chunkName(c))) cached += Math.min(chunkRows, rows - c * chunkRows);
  request.onProgress?.(cached, rows);

  for (let c = first; c < end; c++) {
    if (existing.has(chunkName(c)) || existsSync(path.join(chunksDir, chunkName(c)))) continue;
    if (existsSync(finalFile)) break;
    throwIfAborted(request.signal);
    const start = c * chunkRows;
    const stop = Math.min(rows, start + chunkRows);
    const { vectors, dim } = await request.encode(start, stop);
    throwIfAborted(request.signal);
    const chunkFile = path.join(chunksDir, chunkName(c));
    try {
      await writeAtomicWith(
        chunkFile,
        (temporary) => writeArrowFile(temporary, [{ ids: request.ids.slice(start, stop), vectors, dim }]),
        (temporary) => recordChecksum(temporary, chunkFile),
        // the process that assembles the key removes chunks/: never bring it back
        { makeFolder: false },
      );
    } catch (error) {
      // another process finished the key meanwhile and removed the chunks directory
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(finalFile)) break;
      throw error;
    }
    cached += stop - start;
    built += stop - start;
    request.onProgress?.(cached, rows);
  }

  // Listed before the check below: a process that assembles the key puts embeddings.arrow in place before it removes
  // chunks/, so chunks this listing misses because of it mean that the file is there by the time of the check.
  const names = new Set(await present());
  if (existsSync(finalFile)) {
    // Another process assembled the key while this one encoded: it removed chunks/ then, but a process that started
    // meanwhile may have made the folder again, and this one's last chunk may have gone into it. Every writer removes
    // chunks/ once it sees embeddings.arrow, so whichever of them writes last leaves nothing behind.
    await removeChunks(dir);
    return done(await verifiedEntry(key, finalFile, rows), chunkRows, built, rows);
  }
  let presentRows = 0;
  for (let c = 0; c < chunkCount; c++) if (names.has(chunkName(c))) presentRows += Math.min(chunkRows, rows - c * chunkRows);
  if (presentRows < rows) return done(null, chunkRows, built, presentRows);
  return done(await assemble(key, dir, request.ids, chunkCount), chunkRows, built, rows);
}

/**
 * embeddings.arrow only ever appears by rename after every id was checked, so its row count is trusted here
 * (the search counts rows again as it streams); only the width is read, from the first batch.
 */
async function verifiedEntry(key: string, file: string, rows: number): Promise<CacheEntry> {
  await checkedFile(file);
  for await (const batch of readArrowBatches(file)) return { key, file, rows, dim: batch.dim };
  throw dataError('embeddings.cache_corrupt', `cache: ${file} holds no rows, expected ${rows}; delete it and rerun`);
}

/** Chunks -> embeddings.arrow, checking every id against the collection; chunks are removed afterwards. */
async function assemble(key: string, dir: string, ids: readonly string[], chunkCount: number): Promise<CacheEntry> {
  const finalFile = path.join(dir, 'embeddings.arrow');
  let dim = 0;
  async function* chunks(): AsyncGenerator<EmbeddingRows> {
    let row = 0;
    for (let c = 0; c < chunkCount; c++) {
      const chunkFile = path.join(dir, 'chunks', chunkName(c));
      await checkedFile(chunkFile);
      const part = await readArrowFile(chunkFile);
      for (let i = 0; i < part.ids.length; i++) {
        if (part.ids[i] !== ids[row + i]) {
          throw dataError('embeddings.cache_corrupt', `cache: chunk ${chunkName(c)} in ${dir} holds id ${part.ids[i]} at row ${row + i}, expected ${ids[row + i]}; delete that directory and rerun`);
        }
      }
      row += part.ids.length;
      dim = part.dim;
      yield part;
    }
    if (row !== ids.length) throw dataError('embeddings.cache_corrupt', `cache: the chunks in ${dir} hold ${row} rows, expected ${ids.length}`);
  }
  try {
    await writeAtomicWith(finalFile, (temporary) => writeArrowFile(temporary, chunks()), (temporary) => recordChecksum(temporary, finalFile));
  } catch (error) {
    // another process assembled and removed the chunks while we were reading them
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(finalFile)) return verifiedEntry(key, finalFile, ids.length);
    throw error;
  }
  await removeChunks(dir);
  return { key, file: finalFile, rows: ids.length, dim };
}

/**
 * Deletes chunks/ once embeddings.arrow holds its rows. Another process may still be finishing a chunk in it, and a
 * recursive delete that races a new entry fails with ENOTEMPTY; renamed away first, the folder can gain no entry
 * (that writer's rename into chunks/ then fails with ENOENT, which it takes as "assembled meanwhile").
 */
async function removeChunks(dir: string): Promise<void> {
  const doomed = path.join(dir, `chunks.removed-${process.pid}-${Date.now()}`);
  try {
    await fs.rename(path.join(dir, 'chunks'), doomed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await fs.rm(doomed, { recursive: true, force: true });
}

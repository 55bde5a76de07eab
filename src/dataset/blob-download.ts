/**
 * Verified blob download into the hub cache. Nothing lands in `blobs/` unless the bytes on disk match a known
 * digest: the registry's sha256, the server's sha256 ETag (LFS files), or its git object id (small files). The
 * blob's lock is huggingface_hub's own `.locks/<repo>/<etag>.lock`, taken with flock like Python's filelock, so
 * while we hold it we may use Python's `<blob>.incomplete` name (and resume what Python left); without the lock
 * we write only a private temporary name.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { forgetTemporary, removeStaleTemporaries, temporaryPath } from '../core/cache-dir.js';
import { makeDirectory } from '../core/directories.js';
import { dataError } from '../core/errors.js';
import { acquireFileLock } from '../core/file-lock.js';
import { fileDigests } from '../core/hash.js';
import { log } from '../core/log.js';
import { startProgress } from '../core/progress.js';
import { exists } from './hf-cache.js';
import { isNetworkError, request, TransientError, withRetries } from './http.js';
import type { HttpSettings } from './http.js';

/** What the bytes must be. At least one of sha256 and gitSha1 is set: unverifiable bytes are never fetched. */
export interface BlobExpectation {
  sha256?: string;
  gitSha1?: string;
  md5?: string;
  size?: number;
}

export interface BlobDownload {
  settings: HttpSettings;
  /** Headers for a URL (credentials for the Hub's origin only). */
  headers: (url: URL) => Record<string, string>;
  /** Turns a failed response into the error to throw (transient ones are retried). */
  statusError: (response: Response) => Error;
  /** Printed when retries run out. */
  hint: string;
  location: URL;
  blobPath: string;
  lockPath: string;
  expected: BlobExpectation;
  /** `repo@commit/path`, for messages. */
  what: string;
  label: string;
  signal?: AbortSignal;
  /** Lock waiting: give up on an owner that makes no progress for this long; say so this often. */
  lockStallMs: number;
  lockNoticeMs: number;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return -1;
  }
}

/** Fetches the blob unless it appears meanwhile; resolves once `blobPath` holds verified bytes. */
export async function downloadVerifiedBlob(job: BlobDownload): Promise<{ downloaded: boolean }> {
  if (job.expected.sha256 === undefined && job.expected.gitSha1 === undefined) {
    throw dataError('unverifiable', `${job.what}: no sha256 is known for it (not in the registry, and the server's ETag is not one), so its bytes could not be verified; nothing was downloaded`);
  }
  await makeDirectory(path.dirname(job.blobPath));
  await removeStaleTemporaries(path.dirname(job.blobPath));
  const incomplete = `${job.blobPath}.incomplete`;
  const lock = await acquireFileLock(job.lockPath, {
    signal: job.signal,
    isDone: () => exists(job.blobPath),
    progress: () => sizeOf(incomplete),
    stallMs: job.lockStallMs,
    noticeMs: job.lockNoticeMs,
    what: job.what,
  });
  if (lock.kind === 'done') return { downloaded: false };
  if (lock.kind === 'held') {
    try {
      // the owner before us may have finished between our check and our lock
      if (await exists(job.blobPath)) return { downloaded: false };
      await fetchInto(job, incomplete, true);
      return { downloaded: true };
    } finally {
      await lock.release();
    }
  }
  log.warn(`${lock.reason}; downloading ${job.what} into a private temporary file instead`);
  const temporary = temporaryPath(job.blobPath);
  try {
    await fetchInto(job, temporary, false);
  } finally {
    await fs.rm(temporary, { force: true });
    forgetTemporary(temporary);
  }
  return { downloaded: true };
}

/**
 * Streams the file into `partial` (resuming it with Range when `resume`), then hashes the file as it is on disk
 * and renames it to the blob only if it matches. Bytes that fail are deleted.
 */
async function fetchInto(job: BlobDownload, partial: string, resume: boolean): Promise<void> {
  const { expected, what } = job;
  const progress = startProgress(job.label, expected.size ?? 0, 'bytes');
  try {
    await withRetries(job.settings, `downloading ${what}`, job.hint, job.signal, async () => {
      let offset = resume ? Math.max(0, await sizeOf(partial)) : 0;
      if (expected.size !== undefined && offset > expected.size) {
        await fs.rm(partial, { force: true });
        offset = 0;
      }
      const range: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
      const { response, idle, done } = await request(job.settings, job.location, { method: 'GET', headers: (url) => ({ ...job.headers(url), ...range }), signal: job.signal });
      try {
        if (response.status === 416) {
          await response.body?.cancel();
          await fs.rm(partial, { force: true });
          throw new TransientError('HTTP 416: the partial download was invalid; restarting');
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw job.statusError(response);
        }
        if (response.status !== 206) offset = 0; // the server ignored Range: start over
        const handle = await fs.open(partial, offset > 0 ? 'a' : 'w');
        let received = offset;
        progress.update(received);
        try {
          if (response.body) {
            for await (const chunk of response.body) {
              idle();
              await handle.write(chunk);
              received += chunk.byteLength;
              progress.update(received);
            }
          }
          await handle.sync();
        } catch (error) {
          // undici reports a body cut short as TypeError('terminated'); say what happened (the bytes so far are kept)
          if (isNetworkError(error) && !job.signal?.aborted) {
            throw new TransientError(`connection lost after ${received} of ${expected.size ?? '?'} bytes (${(error as Error).message}); ${resume ? 'the partial file is kept and the next attempt resumes it' : 'retrying'}`);
          }
          throw error;
        } finally {
          await handle.close();
        }
        // a body cut short is retried; a complete answer of the wrong length is for verification to judge
        const declared = Number(response.headers.get('content-length') ?? Number.NaN);
        const complete = Number.isSafeInteger(declared) && received - offset === declared;
        if (!complete && expected.size !== undefined && received < expected.size) throw new TransientError(`connection closed after ${received} of ${expected.size} bytes`);
      } finally {
        done();
      }
    });
    await verifyAndPlace(job, partial);
  } finally {
    progress.stop();
  }
}

async function verifyAndPlace(job: BlobDownload, partial: string): Promise<void> {
  const { expected } = job;
  const actual = await fileDigests(partial);
  const problems: string[] = [];
  if (expected.size !== undefined && actual.size !== expected.size) problems.push(`size ${actual.size} instead of ${expected.size}`);
  if (expected.sha256 !== undefined && actual.sha256 !== expected.sha256) problems.push(`sha256 ${actual.sha256} instead of ${expected.sha256}`);
  if (expected.gitSha1 !== undefined && actual.gitSha1 !== expected.gitSha1) problems.push(`git object id ${actual.gitSha1} instead of ${expected.gitSha1}`);
  if (expected.md5 !== undefined && actual.md5 !== expected.md5) problems.push(`md5 ${actual.md5} instead of ${expected.md5}`);
  if (problems.length > 0) {
    await fs.rm(partial, { force: true });
    throw dataError('checksum_mismatch', `${job.what}: downloaded bytes failed verification (${problems.join('; ')}); they were discarded. Try again; if it persists, the server or mirror serves different content`);
  }
  await fs.rename(partial, job.blobPath);
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noProgress, type StartProgress } from '../../src/core/progress.js';
import { readArrowFile } from '../../src/encode/cache/arrow-io.js';
import { retrieve } from '../../src/pipeline/retrieve.js';
import { createDenseRetriever } from '../../src/retrieval/create-dense.js';
import { repoRoot } from '../helpers/cli.js';
// @ts-expect-error plain JS helper shared with the child processes
import { syntheticCorpus, syntheticQueries } from './synthetic.mjs';

// hundreds of documents in 30 chunks: enough to stop mid-way, little enough to encode six times in seconds
const DOCS = 1200;
const CHUNK_ROWS = 40;
const child = path.join(repoRoot, 'test', 'encode', 'encode-child.mjs');
const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'reasonir-resume-'));
  roots.push(root);
  return root;
}

/** encode-child.mjs in a process of its own; `holdAfterChunks`: it stops there and waits to be killed. */
function start(root: string, holdAfterChunks?: number) {
  const args = [child, root, String(DOCS), String(CHUNK_ROWS), ...(holdAfterChunks === undefined ? [] : [String(holdAfterChunks)])];
  // stdin stays an open pipe: the held child blocks reading it
  const processHandle = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  processHandle.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('held ')) onHeld();
  });
  processHandle.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    processHandle.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  // a child that ends before it holds fails the test with what it printed
  const holding = () => Promise.race([held, done.then((ended) => Promise.reject(new Error(`the encoder exited (${ended.code ?? ended.signal}) before holding:\n${ended.stderr}`)))]);
  return { process: processHandle, done, holding };
}

/** The same encoding as encode-child.mjs, in this process; `signal` stands for Ctrl-C. */
async function encodeInProcess(root: string, signal?: AbortSignal, progress?: StartProgress): Promise<number> {
  const retriever = await createDenseRetriever({
    model: path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert'),
    device: 'cpu',
    cacheDir: root,
    chunkRows: CHUNK_ROWS,
    batchTokens: 2048,
    signal,
  });
  let count = 0;
  const input = { task: 'biology', corpus: syntheticCorpus(DOCS), corpusSha256: 'synthetic', queries: syntheticQueries(5), depth: 10, signal, progress };
  for await (const _ of retrieve(retriever, input)) count++;
  return count;
}

function chunkFiles(root: string): string[] {
  const base = path.join(root, 'embeddings');
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((file) => /chunks[/\\]\d{6}\.arrow$/.test(file));
}

/** The assembled document cache (ids + vectors) under a root. */
async function documentCache(root: string) {
  const base = path.join(root, 'embeddings');
  const files = readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('embeddings.arrow'));
  const tables = await Promise.all(files.map((file) => readArrowFile(path.join(base, file))));
  const documents = tables.find((table) => table.ids.length === DOCS)!;
  return { documents, bytes: await fs.readFile(path.join(base, files[tables.indexOf(documents)]!)) };
}

let reference: Awaited<ReturnType<typeof documentCache>> | undefined;
async function uninterrupted() {
  if (!reference) {
    const root = tempRoot();
    expect(await encodeInProcess(root)).toBe(5);
    reference = await documentCache(root);
  }
  return reference;
}

describe('embedding cache under interruption', () => {
  // only a real process can be killed with SIGKILL; the rest runs in-process
  it('kill -9 mid-encoding, then rerun: resumes, and the final cache equals an uninterrupted one', async () => {
    const root = tempRoot();
    const first = start(root, 3);
    await first.holding();
    first.process.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(chunkFiles(root)).toHaveLength(3);
    const second = await start(root).done;
    expect(second.stdout).toContain('done 5');
    const resumed = await documentCache(root);
    const expected = await uninterrupted();
    expect(resumed.documents.ids).toEqual(expected.documents.ids);
    expect(resumed.bytes.equals(expected.bytes)).toBe(true);
  });

  it('Ctrl-C stops at a safe point with the interrupted error (exit 130); the rerun completes the same cache', async () => {
    const root = tempRoot();
    const controller = new AbortController();
    // Ctrl-C once two document chunks are cached, wherever the encoder is then
    const ctrlC: StartProgress = (label, total) => ({
      ...noProgress(label, total),
      update: (done) => void (label.endsWith('documents') && done >= 2 * CHUNK_ROWS && controller.abort()),
    });
    await expect(encodeInProcess(root, controller.signal, ctrlC)).rejects.toMatchObject({ code: 'interrupted', exitCode: 130 });
    expect(chunkFiles(root)).toHaveLength(2);
    expect(await encodeInProcess(root)).toBe(5);
    expect((await documentCache(root)).bytes.equals((await uninterrupted()).bytes)).toBe(true);
  });

  it('two encoders sharing one cache both finish and leave an uncorrupted cache', async () => {
    const root = tempRoot();
    expect(await Promise.all([encodeInProcess(root), encodeInProcess(root)])).toEqual([5, 5]);
    expect((await documentCache(root)).bytes.equals((await uninterrupted()).bytes)).toBe(true);
    expect(chunkFiles(root)).toEqual([]);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

function start(root: string): { process: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const processHandle = spawn(process.execPath, [child, root, String(DOCS), String(CHUNK_ROWS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  processHandle.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  processHandle.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    processHandle.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { process: processHandle, done };
}

/** The same encoding as encode-child.mjs, in this process; `signal` stands for Ctrl-C. */
async function encodeInProcess(root: string, signal?: AbortSignal): Promise<number> {
  const retriever = await createDenseRetriever({
    model: path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert'),
    device: 'cpu',
    cacheDir: root,
    chunkRows: CHUNK_ROWS,
    batchTokens: 2048,
    signal,
  });
  let count = 0;
  const input = { task: 'biology', corpus: syntheticCorpus(DOCS), corpusSha256: 'synthetic', queries: syntheticQueries(5), depth: 10, signal };
  for await (const _ of retrieve(retriever, input)) count++;
  return count;
}

function chunkFiles(root: string): string[] {
  const base = path.join(root, 'embeddings');
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((file) => /chunks[/\\]\d{6}\.arrow$/.test(file));
}

async function waitForChunks(root: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (chunkFiles(root).length < count) {
    if (Date.now() > deadline) throw new Error('the encoder wrote no chunks in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
    const first = start(root);
    await waitForChunks(root, 3);
    first.process.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const survived = chunkFiles(root).length;
    expect(survived).toBeGreaterThanOrEqual(3);
    expect(survived).toBeLessThan(DOCS / CHUNK_ROWS);
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
    const first = encodeInProcess(root, controller.signal);
    await waitForChunks(root, 2);
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'interrupted', exitCode: 130 });
    expect(chunkFiles(root).length).toBeLessThan(DOCS / CHUNK_ROWS);
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

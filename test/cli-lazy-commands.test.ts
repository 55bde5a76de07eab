import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../src/cli/program.js';
import type { RunContext } from '../src/core/run-context.js';
import { seededRandom } from '../src/core/seeded-random.js';
import { npyBytes } from './encode/helpers.js';
import { repoRoot } from './helpers/cli.js';

const fixtureData = path.join(repoRoot, 'test', 'fixtures', 'bright', 'data');
/** Rows of the pony fixture (test/fixtures/bright/data): documents and examples. */
const PONY_DOCUMENTS = 63;
const PONY_QUERIES = 112;

async function definedCommands(argv: string[]): Promise<string[]> {
  const sink = { write: () => true } as unknown as RunContext['stdout'];
  const io = { stdout: sink, stderr: sink, stdin: new PassThrough(), env: {}, signal: new AbortController().signal };
  const run: RunContext = { stdout: sink, stderr: sink, env: {}, quiet: false, progress: true };
  const program = await createProgram(io, run, argv);
  return program.commands.map((command) => command.name());
}

describe('command modules are loaded on demand', () => {
  it('defines only the command a run names, none for --version, all for help and unknown names', async () => {
    expect(await definedCommands(['--version'])).toEqual([]);
    expect(await definedCommands(['-q', '--no-progress', 'score', '--run', 'r.trec', '--qrels', 'q'])).toEqual(['score']);
    expect(await definedCommands(['tasks', '--json'])).toEqual(['tasks']);
    const all = await definedCommands(['--help']);
    // every command, each once, in the help order (tasks first)
    expect(all[0]).toBe('tasks');
    expect(all).toEqual(expect.arrayContaining(['download', 'score', 'analyze', 'eval', 'table', 'compare', 'check', 'report']));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(13);
    expect(await definedCommands([])).toEqual(all);
    expect(await definedCommands(['evl'])).toEqual(all);
    expect(await definedCommands(['help', 'score'])).toEqual(all);
    expect(await definedCommands(['--version', '--help'])).toEqual(all);
  });
});

const dist = path.join(repoRoot, 'dist') + path.sep;
const entry = path.join(dist, 'cli', 'main.js');
const bundleDir = path.join(dist, 'cli', 'bundle') + path.sep;

/**
 * The compiled modules a loaded file runs. The CLI is bundled (tools/bundle-cli.mjs): a chunk holds the modules
 * (and package files) its source map lists; the entry that requires the bundle and the bundler's runtime helpers
 * hold none. Any other file is one module.
 */
async function modulesOf(file: string): Promise<string[]> {
  if (file === entry || /[\\/]rolldown-runtime-[^\\/]+\.js$/.test(file)) return [];
  if (!file.startsWith(bundleDir)) return [file];
  const { sources } = JSON.parse(await fs.readFile(`${file}.map`, 'utf8')) as { sources: string[] };
  return sources.map((source) => path.resolve(path.dirname(file), source));
}

/**
 * The modules one `reasonir <args>` process loads: its exit code, the packages it loaded, our own modules under dist/
 * (the compiled modules inside the bundle's chunks, as tsc wrote them), how many modules it ran and the files it loaded.
 */
async function census(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string; packages: Set<string>; own: string[]; modules: number; files: string[]; builtins: string[] }> {
  const file = path.join(work, `census-${++censusCount}.txt`);
  const child = spawnSync(process.execPath, ['--import', path.join(repoRoot, 'test', 'helpers', 'module-census.mjs'), path.join(repoRoot, 'dist', 'cli', 'main.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, REASONIR_MODULE_CENSUS: file, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const lines = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const builtins = lines.filter((line) => line.startsWith('builtin:')).map((line) => line.slice('builtin:'.length));
  const files = [...new Set(lines.filter((line) => !line.startsWith('node:') && !line.startsWith('builtin:')).map((line) => (line.startsWith('cjs:') ? line.slice(4) : fileURLToPath(line))))];
  const paths = (await Promise.all(files.map(modulesOf))).flat();
  const packages = new Set(paths.map((name) => /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(name)?.[1]?.replace('\\', '/')).filter((name) => name !== undefined));
  const own = [...new Set(paths.filter((name) => name.startsWith(dist)).map((name) => name.slice(dist.length).split(path.sep).join('/')))];
  return { code: child.status, stderr: child.stderr, packages, own, modules: new Set(paths).size, files, builtins };
}

let work: string;
let censusCount = 0;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-census-'));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

// the heavy parts: none may load unless the command uses it
const NATIVE_AND_LARGE = ['onnxruntime-node', '@huggingface/tokenizers', 'apache-arrow', 'hyparquet', 'cli-progress'];

describe('what a process loads (dist/, counted by a loader hook)', () => {
  it('--version: no package at all', async () => {
    const { code, packages, own } = await census(['--version']);
    expect(code).toBe(0);
    expect([...packages]).toEqual([]);
    expect(own.length).toBeLessThanOrEqual(3);
  });

  it('--help: every command definition, none of their implementations', async () => {
    const { code, packages, own, builtins } = await census(['--help']);
    expect(code).toBe(0);
    // commander's require of child_process (for executable subcommands, which this CLI has none of) is deferred by the bundler
    expect(builtins).toContain('fs');
    expect(builtins).not.toContain('child_process');
    expect([...packages].sort()).toEqual(['@commander-js/extra-typings', 'commander']);
    expect(own.filter((name) => name.startsWith('cli/commands/')).length).toBeGreaterThanOrEqual(13);
    const implementations = /^(results|llm|rerank|reason|export|encode|eval\/(evaluate|trec-run|score-json)|retrieval\/(bm25|dense)|pipeline\/(run-evaluation|evaluate-task|eval-table)|report\/(comparison-table|html-report|check)|dataset\/(parquet|load-task|download|hub\.js))/;
    expect(own.filter((name) => implementations.test(name))).toEqual([]);
  });

  it('eval --retriever bm25: no onnxruntime, tokenizer, Arrow, encoder, LLM or rerank code', async () => {
    const out = path.join(work, 'bm25');
    const { code, stderr, packages, own } = await census(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', out, '-q']);
    expect(code, stderr).toBe(0);
    for (const name of ['onnxruntime-node', '@huggingface/tokenizers', 'apache-arrow']) expect(packages).not.toContain(name);
    expect(packages).toContain('hyparquet');
    // the fixture's parquet files are SNAPPY, like BRIGHT's: the decompressors of other codecs are not loaded
    for (const name of ['hyparquet-compressors', 'fzstd']) expect(packages).not.toContain(name);
    expect(own.filter((name) => /^(encode|llm|rerank|reason|fusion|export)\//.test(name))).toEqual([]);
  });

  it('eval --retriever bm25 with the index cached: none of the code that builds an index', async () => {
    const env = { REASONIR_CACHE: path.join(work, 'bm25-cache') };
    const run = (out: string) => census(['eval', '--task', 'pony', '--data-dir', fixtureData, '--out', path.join(work, out), '-q'], env);
    const building = /^retrieval\/bm25\/(parallel-analysis|analysis-worker|chunk-analysis|chunk-postings|gensim-dictionary|narrow-counts)\.js$/;
    const cold = await run('bm25-cold');
    expect(cold.code, cold.stderr).toBe(0);
    expect(cold.own.filter((name) => building.test(name)).length).toBeGreaterThanOrEqual(3);
    const warm = await run('bm25-warm');
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.own.filter((name) => building.test(name))).toEqual([]);
    // it runs as the bundle: its ~130 modules (ours and the packages') come in far fewer files
    expect(warm.modules).toBeGreaterThan(100);
    expect(warm.files.length).toBeLessThan(warm.modules / 2);
  });

  it('eval --retriever bm25 of a corpus large enough for analysis workers: they start from the bundle, and the scores are the CI benchmark\'s', async (context) => {
    // the CI benchmark's biology (578 documents, ~0.4M characters) is analyzed on min(cores, 2) threads
    if (os.availableParallelism() < 2) context.skip('one core: the corpus is analyzed inline, no worker starts');
    const out = path.join(work, 'bm25-workers');
    const dataDir = path.join(repoRoot, 'test', 'fixtures', 'ci-bench', 'data');
    const cold = await census(['eval', '--task', 'biology', '--data-dir', dataDir, '--out', out, '-q'], { REASONIR_CACHE: path.join(work, 'bm25-workers-cache') });
    expect(cold.code, cold.stderr).toBe(0);
    expect(cold.files).toContain(path.join(bundleDir, 'analysis-worker.js'));
    expect(cold.own).toContain('retrieval/bm25/chunk-analysis.js');
    const expected = path.join(repoRoot, 'test', 'fixtures', 'ci-bench', 'expected.json');
    const check = spawnSync(process.execPath, [entry, 'check', out, '--against', expected, '--tasks', 'biology', '--measure', 'all', '--json'], { cwd: repoRoot, encoding: 'utf8' });
    // the average lines compare one task with the three-task average the file holds
    const lines = (JSON.parse(check.stdout) as { lines: Array<{ task: string; status: string }> }).lines.filter((line) => line.task === 'biology');
    expect(lines).toHaveLength(25);
    expect(lines.filter((line) => line.status !== 'OK'), check.stderr).toEqual([]);
  });

  it('eval --retriever embeddings with .npy files: onnxruntime for the search, but no tokenizer, Arrow or encoder', async () => {
    const dim = 8;
    const next = seededRandom(3);
    const docEmb = path.join(work, 'docs.npy');
    const queryEmb = path.join(work, 'queries.npy');
    await fs.writeFile(docEmb, npyBytes(Float32Array.from({ length: PONY_DOCUMENTS * dim }, () => next() - 0.5), PONY_DOCUMENTS, 'f4'));
    await fs.writeFile(queryEmb, npyBytes(Float32Array.from({ length: PONY_QUERIES * dim }, () => next() - 0.5), PONY_QUERIES, 'f4'));
    const out = path.join(work, 'npy');
    const { code, stderr, packages, own } = await census(['eval', '--task', 'pony', '--retriever', 'embeddings', '--doc-emb', docEmb, '--query-emb', queryEmb, '--device', 'cpu', '--data-dir', fixtureData, '--out', out, '-q']);
    expect(code, stderr).toBe(0);
    expect(packages).toContain('onnxruntime-node');
    for (const name of ['@huggingface/tokenizers', 'apache-arrow']) expect(packages).not.toContain(name);
    expect(own.filter((name) => /^(encode\/(encoder|tokenizer|model-config|cache\/)|llm|rerank|reason|retrieval\/bm25|retrieval\/analyzer)/.test(name))).toEqual([]);
  });

  it('score --run --qrels: evaluation code only', async () => {
    const run = path.join(work, 'run.trec');
    const qrels = path.join(work, 'qrels.txt');
    await fs.writeFile(run, 'q1 Q0 d1 1 2.5 x\nq1 Q0 d2 2 1.5 x\n');
    await fs.writeFile(qrels, 'q1 0 d2 1\n');
    const { code, stderr, packages, own } = await census(['score', '--run', run, '--qrels', qrels]);
    expect(code, stderr).toBe(0);
    for (const name of NATIVE_AND_LARGE) expect(packages).not.toContain(name);
    expect(own.filter((name) => /^(retrieval|encode|pipeline|report|llm|rerank|dataset\/(parquet|load-task|hub\.js|download))/.test(name))).toEqual([]);
    // scoring a TREC run against qrels writes no results and reads no score.json: no writer and no parser it does not
    // use. The harness's cache folder it does use, as every command but --version: for its own code (code-cache.ts)
    expect(own.filter((name) => /^(eval\/(score-json|results-files|trec-run|byte-text)|core\/(atomic-file|directories))\.js$/.test(name))).toEqual([]);
    expect(own).toContain('cli/code-cache.js');
  });
});

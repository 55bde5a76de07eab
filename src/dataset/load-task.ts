/**
 * Loads one BRIGHT task exactly as BRIGHT's run.py sees it: queries from `examples` (text from `<variant>_reason`
 * for reasoning queries), documents from `documents` or `long_documents`, all in Hugging Face row order.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CorpusIds } from '../core/corpus-ids.js';
import { dataError, usageError } from '../core/errors.js';
import { sha256File } from '../core/hash.js';
import { log } from '../core/log.js';
import { startProgress } from '../core/progress.js';
import type { CorpusFileInfo, CorpusSource, Query, StoredTexts } from '../core/types.js';
import { cachedHubFileInfo, hubFileInfo, resolveRevision } from './hub.js';
import { openParquet } from './parquet.js';
import { readStoredUtf8, storedTexts } from './parquet-texts.js';
import { Utf8Sink, type Utf8Texts } from './utf8-values.js';
import type { ColumnSpec, ParquetFile } from './parquet.js';
import { DEFAULT_DATASET, filePath, getTask, listTasks, queryConfig, registryFile, revisionOfFiles } from './registry.js';
import type { ConfigName, QueryVariant, TaskInfo } from './registry.js';
import { applyQueriesFile, readQueriesFile } from './queries-file.js';
import { alignReasonRows, checkAgainstCorpus, toQueries } from './validate.js';
import type { ExampleRow } from './validate.js';

export interface LoadTaskOptions {
  task: string;
  queries?: QueryVariant;
  long?: boolean;
  /** 40-hex commit or branch; default DEFAULT_DATASET.revision. */
  revision?: string;
  /** Dataset repository with BRIGHT's layout and schema (`--dataset`); default DEFAULT_DATASET.repo. */
  repo?: string;
  /** Read the same relative paths (`<config>/<task>-00000-of-00001.parquet`) from this folder instead of the Hub. */
  dataDir?: string;
  /** Query texts from a `reasonir reason` file (ids checked against the task) instead of a dataset variant. */
  queriesFile?: string;
  signal?: AbortSignal;
  /** Called once the corpus file is found and its row count read, before its ids are decoded (see Retriever.prefetch). */
  onCorpusFile?: (corpus: CorpusFileInfo) => void;
}

export interface LoadedFile {
  config: ConfigName;
  /** Path inside the dataset repository. */
  path: string;
  /** Where it was read from (hub cache snapshot or the data folder). */
  localPath: string;
  sha256: string;
  size: number;
}

export interface LoadedTask {
  task: TaskInfo;
  repo: string;
  /** Resolved 40-hex commit, or 'local' for dataDir. */
  revision: string;
  files: LoadedFile[];
  corpus: CorpusSource;
  corpusSha256: string;
  queries: Query[];
  /** Data warnings (each also logged once). */
  warnings: string[];
  /** Where the query texts came from when `queriesFile` was given: the file, its hash and its provenance. */
  queriesFile?: { path: string; sha256: string; source: Record<string, unknown> };
}

const exampleColumns = { id: 'string', query: 'string', excluded_ids: 'string[]', gold_ids: 'string[]', gold_ids_long: 'string[]' } satisfies ColumnSpec;
const reasonColumns = { id: 'string', query: 'string', excluded_ids: 'string[]', gold_ids: 'string[]' } satisfies ColumnSpec;
const documentColumns = { id: 'string', content: 'string' } satisfies ColumnSpec;
const documentTextColumns = { content: 'string' } satisfies ColumnSpec;

/** Finds the file locally or in/through the hub cache, verified against the registry where it knows the revision. */
async function locate(config: ConfigName, task: TaskInfo, source: { dataDir: string } | { commit: string; repo: string }, signal?: AbortSignal): Promise<LoadedFile> {
  const repoPath = filePath(config, task.name);
  if ('dataDir' in source) {
    const localPath = path.join(source.dataDir, ...repoPath.split('/'));
    let size: number;
    try {
      size = (await fs.stat(localPath)).size;
    } catch {
      throw dataError('missing_file', `${task.name}: ${localPath} does not exist; --data-dir must hold the dataset's files at their Hub paths (${repoPath})`);
    }
    return { config, path: repoPath, localPath, sha256: await sha256File(localPath), size };
  }
  const info = await hubFileInfo({ ...hubFileOf(repoPath, source), progressLabel: `${task.name} ${config}`, signal });
  return { config, path: repoPath, localPath: info.path, sha256: info.sha256, size: info.size };
}

/** A dataset file on the Hub, with what the registry knows of it. */
function hubFileOf(repoPath: string, source: { commit: string; repo: string }) {
  // the registry's sizes and hashes describe xlangai/BRIGHT; another repo's files are checked by the server's sha256
  const known = source.repo === DEFAULT_DATASET.repo ? registryFile(source.commit, repoPath) : undefined;
  return {
    repoType: 'dataset' as const,
    repo: source.repo,
    revision: source.commit,
    path: repoPath,
    expected: {
      ...(known?.sha256 ? { sha256: known.sha256 } : {}),
      ...(known?.size !== undefined && known.size !== null ? { size: known.size } : {}),
      ...(known?.md5 ? { md5: known.md5 } : {}),
    },
  };
}

/**
 * The corpus file of a task as `loadTask` tells `onCorpusFile` about it, found before the run's other modules load
 * (eval starts BM25 on it: its analysis workers boot, or its cached index is read, while they do), when that takes
 * neither the network, a download nor hashing the file. Null otherwise (a branch name, a file not in the hub cache,
 * `dataDir`, whose files are hashed): `loadTask` then finds it as it always does. Errors are the loader's, and
 * `loadTask` meets them again in their place.
 */
export async function cachedCorpusFile(options: Pick<LoadTaskOptions, 'task' | 'long' | 'revision' | 'repo' | 'dataDir'>): Promise<CorpusFileInfo | null> {
  if (options.dataDir !== undefined) return null;
  const task = getTask(options.task);
  const repo = options.repo ?? DEFAULT_DATASET.repo;
  const commit = options.revision ?? DEFAULT_DATASET.revision;
  const repoPath = filePath(options.long ? 'long_documents' : 'documents', task.name);
  const info = await cachedHubFileInfo(hubFileOf(repoPath, { commit, repo }));
  if (info === null) return null;
  const parquet = await openParquet(info.path, documentColumns, repoPath);
  checkRowCount(parquet, repoPath, commit, [], repo);
  openedAhead = { path: info.path, sha256: info.sha256, label: repoPath, parquet };
  return { sha256: info.sha256, rows: parquet.rows, stored: storedTexts(parquet, 'content') };
}

/**
 * The corpus file `cachedCorpusFile` opened last, taken by the next `loadTask` of that very file (same path, same
 * content hash, same label): its footer is then read and parsed once (~5 ms of a cached run's main thread).
 */
let openedAhead: { path: string; sha256: string; label: string; parquet: ParquetFile } | null = null;

async function openCorpus(file: LoadedFile): Promise<ParquetFile> {
  const ahead = openedAhead;
  openedAhead = null;
  if (ahead !== null && ahead.path === file.localPath && ahead.sha256 === file.sha256 && ahead.label === file.path) return ahead.parquet;
  return openParquet(file.localPath, documentColumns, file.path);
}

/**
 * Row count against the registry: a mismatch at a revision the registry describes is an error (the file is not
 * what was pinned); at any other revision the data may legitimately differ, so it is a warning.
 */
function checkRowCount(parquet: ParquetFile, repoPath: string, revision: string, warnings: string[], repo: string): void {
  if (repo !== DEFAULT_DATASET.repo) return;
  const known = registryFile(revision, repoPath)?.rows;
  if (known !== undefined && known !== null) {
    if (parquet.rows !== known) {
      throw dataError('row_count', `${repoPath} at ${revision} has ${parquet.rows} rows, the registry expects ${known}; the file is not the pinned data (delete it from the cache and download again)`);
    }
    return;
  }
  const pinned = registryFile(DEFAULT_DATASET.revision, repoPath)?.rows;
  if (pinned !== undefined && pinned !== null && parquet.rows !== pinned) {
    warnings.push(`${repoPath}: ${parquet.rows} rows at revision ${revision}, ${pinned} at the pinned revision ${DEFAULT_DATASET.revision.slice(0, 7)}; scores are not comparable with published ones`);
  }
}

async function readExampleRows(parquet: ParquetFile, label: string, withLong: boolean, signal?: AbortSignal): Promise<ExampleRow[]> {
  const rows: ExampleRow[] = [];
  if (withLong) {
    for await (const batch of parquet.read(exampleColumns, signal)) {
      const c = batch.columns;
      for (let i = 0; i < batch.rows; i++) {
        rows.push({ id: c.id[i]!, query: c.query[i]!, excludedIds: c.excluded_ids[i]!, goldIds: c.gold_ids[i]!, goldIdsLong: c.gold_ids_long[i]! });
      }
    }
  } else {
    for await (const batch of parquet.read(reasonColumns, signal)) {
      const c = batch.columns;
      for (let i = 0; i < batch.rows; i++) {
        rows.push({ id: c.id[i]!, query: c.query[i]!, excludedIds: c.excluded_ids[i]!, goldIds: c.gold_ids[i]!, goldIdsLong: [] });
      }
    }
  }
  if (rows.length === 0) throw dataError('empty', `${label}: no rows`);
  return rows;
}

/**
 * The documents' ids in row order, as UTF-8 bytes: only the id column is decoded (a fraction of the file), straight
 * from its pages into one block of bytes, with no string per id (see core/corpus-ids.ts), each id the bytes of the
 * string the loader's stream decodes.
 */
export async function readCorpusIds(parquet: ParquetFile, label: string, signal?: AbortSignal): Promise<CorpusIds> {
  const progress = startProgress(`decode ${label}`, parquet.rows, 'items');
  let ids: Utf8Texts;
  try {
    ids = await readStoredUtf8(storedTexts(parquet, 'id'), 0, parquet.rowGroups, new Utf8Sink(), signal);
    progress.update(ids.offsets.length - 1);
  } finally {
    progress.stop();
  }
  if (ids.offsets.length === 1) throw dataError('empty', `${label}: the corpus has no documents`);
  return CorpusIds.fromUtf8(ids.bytes, ids.offsets);
}

/**
 * The corpus as a source: ids now, texts decoded one row group at a time when an index stage asks for them, here or
 * by another thread from the file itself (`stored`).
 */
function parquetCorpus(parquet: ParquetFile, stored: StoredTexts, ids: CorpusIds): CorpusSource {
  return {
    ids,
    stored,
    async *texts(options = {}) {
      const from = options.from ?? 0;
      for await (const batch of parquet.read(documentTextColumns, options.signal, from)) {
        const texts = batch.columns.content;
        yield batch.rowStart < from ? { start: from, texts: texts.slice(from - batch.rowStart) } : { start: batch.rowStart, texts };
      }
    },
  };
}

/**
 * Loads the task's queries and judgments and opens its corpus: document ids are read and checked, texts are
 * streamed only when a retriever builds an index (`corpus.texts()`), so scoring from a cached index never decodes
 * them.
 */
export async function loadTask(options: LoadTaskOptions): Promise<LoadedTask> {
  const task = getTask(options.task);
  const variant = options.queries ?? 'original';
  const long = options.long ?? false;
  if (long && !task.hasLong) {
    const withLong = listTasks().filter((candidate) => candidate.hasLong).map((candidate) => candidate.name);
    throw usageError('no_long_documents', `${task.name} has no long-document corpus; the long setting exists for: ${withLong.join(', ')}`);
  }
  const { signal } = options;
  const repo = options.repo ?? DEFAULT_DATASET.repo;
  let revision = options.dataDir
    ? 'local'
    : await resolveRevision({ repoType: 'dataset', repo, revision: options.revision ?? DEFAULT_DATASET.revision, signal });
  const source = options.dataDir ? { dataDir: path.resolve(options.dataDir) } : { commit: revision, repo };
  const corpusConfig: ConfigName = long ? 'long_documents' : 'documents';
  const wanted: ConfigName[] = ['examples', corpusConfig];
  if (variant !== 'original') wanted.push(queryConfig(variant));

  const files: LoadedFile[] = [];
  for (const config of wanted) files.push(await locate(config, task, source, signal));
  const [examplesFile, corpusFile, reasonFile] = files as [LoadedFile, LoadedFile, LoadedFile | undefined];
  // a --data-dir that holds a registered revision's files (same sha256s) is that revision, not "local"
  if (options.dataDir && repo === DEFAULT_DATASET.repo) revision = revisionOfFiles(files) ?? 'local';
  const warnings: string[] = [];

  // the corpus file is opened first: a retriever's prefetch (a cached index read, or analysis workers starting) then
  // overlaps the examples' decoding too
  const corpusParquet = await openCorpus(corpusFile);
  const corpusWarnings: string[] = [];
  checkRowCount(corpusParquet, corpusFile.path, revision, corpusWarnings, repo);
  const stored = storedTexts(corpusParquet, 'content');
  options.onCorpusFile?.({ sha256: corpusFile.sha256, rows: corpusParquet.rows, stored });

  const examples = await openParquet(examplesFile.localPath, exampleColumns, examplesFile.path);
  checkRowCount(examples, examplesFile.path, revision, warnings, repo);
  let queries = toQueries(await readExampleRows(examples, examplesFile.path, true, signal), examplesFile.path);

  warnings.push(...corpusWarnings);
  const corpus = parquetCorpus(corpusParquet, stored, await readCorpusIds(corpusParquet, `${task.name} ${corpusConfig}`, signal));
  warnings.push(...checkAgainstCorpus(queries, corpus.ids, `${task.name} ${corpusConfig}`, long));

  if (reasonFile) {
    const reason = await openParquet(reasonFile.localPath, reasonColumns, reasonFile.path);
    checkRowCount(reason, reasonFile.path, revision, warnings, repo);
    const aligned = alignReasonRows(queries, await readExampleRows(reason, reasonFile.path, false, signal), reasonFile.path);
    warnings.push(...aligned.warnings);
    queries = queries.map((query) => ({ ...query, text: aligned.texts.get(query.id)! }));
  }

  let queriesFile: LoadedTask['queriesFile'];
  if (options.queriesFile !== undefined) {
    if (variant !== 'original') throw usageError('queries_file_variant', `a queries file replaces the query texts; it cannot be combined with the ${variant} variant`);
    const file = await readQueriesFile(options.queriesFile, task.name);
    queries = applyQueriesFile(queries, file, options.queriesFile);
    queriesFile = { path: options.queriesFile, sha256: await sha256File(options.queriesFile), source: file.source };
  }

  for (const warning of warnings) log.warn(warning);
  return { task, repo, revision, files, corpus, corpusSha256: corpusFile.sha256, queries, warnings, ...(queriesFile ? { queriesFile } : {}) };
}

/**
 * The BRIGHT task registry: configs/tasks.json (tasks in the paper's column order, their HF files and expected
 * sizes, hashes and row counts per known revision). Loaded once and checked, so a bad edit fails loudly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../core/version.js';
import { usageError } from '../core/errors.js';

export type QueryVariant = 'original' | 'gpt4' | 'claude-3-opus' | 'llama3-70b' | 'Gemini-1.0' | 'grit';
export const QUERY_VARIANTS: readonly QueryVariant[] = ['original', 'gpt4', 'claude-3-opus', 'llama3-70b', 'Gemini-1.0', 'grit'];

export type DomainGroup = 'StackExchange' | 'Coding' | 'Theorems';
const GROUPS: readonly DomainGroup[] = ['StackExchange', 'Coding', 'Theorems'];

export type ConfigName =
  | 'examples'
  | 'documents'
  | 'long_documents'
  | 'gpt4_reason'
  | 'claude-3-opus_reason'
  | 'llama3-70b_reason'
  | 'Gemini-1.0_reason'
  | 'grit_reason';
export const CONFIGS: readonly ConfigName[] = [
  'examples', 'documents', 'long_documents', 'gpt4_reason', 'claude-3-opus_reason', 'llama3-70b_reason', 'Gemini-1.0_reason', 'grit_reason',
];

/** What the registry knows about one HF file at one revision; null = not known (checked against the server). */
export interface RegistryFile {
  config: ConfigName;
  path: string;
  size: number | null;
  md5: string | null;
  sha256: string | null;
  rows: number | null;
}

export interface TaskInfo {
  name: string;
  group: DomainGroup;
  hasLong: boolean;
  /** Configs this task has files for, in registry order. */
  configs: ConfigName[];
  /** The task's files at the default (pinned) revision, by config. */
  files: Partial<Record<ConfigName, RegistryFile>>;
  /** Expected row counts at the default revision, by config (null where unknown). */
  rows: Partial<Record<ConfigName, number | null>>;
}

export const DEFAULT_DATASET: { repo: string; revision: string } = { repo: 'xlangai/BRIGHT', revision: '3066d29c9651a576c8aba4832d249807b181ecae' };

interface RegistryJson {
  dataset: { repo: string; revision: string };
  configs: string[];
  tasks: Array<{ name: string; group: string; hasLong: boolean }>;
  revisions: Record<string, { note: string; files: Record<string, { config: string; task: string; size: number | null; md5: string | null; sha256: string | null; rows: number | null }> }>;
}

interface Registry {
  tasks: TaskInfo[];
  /** revision -> path -> file */
  revisions: Map<string, Map<string, RegistryFile>>;
}

export const registryPath = path.join(packageRoot, 'configs', 'tasks.json');
let cached: Registry | undefined;

function invalid(message: string): Error {
  // a broken registry is a packaging bug, not a user error
  return new Error(`${registryPath}: ${message}`);
}

/** Path of a config's file for a task, as on the Hub: `<config>/<task>-00000-of-00001.parquet`. */
export function filePath(config: ConfigName, task: string): string {
  return `${config}/${task}-00000-of-00001.parquet`;
}

function loadRegistry(): Registry {
  if (cached) return cached;
  const json = JSON.parse(readFileSync(registryPath, 'utf8')) as RegistryJson;
  if (json.dataset.repo !== DEFAULT_DATASET.repo || json.dataset.revision !== DEFAULT_DATASET.revision) {
    throw invalid(`dataset ${json.dataset.repo}@${json.dataset.revision} differs from the built-in default`);
  }
  if (json.configs.join() !== CONFIGS.join()) throw invalid(`configs ${json.configs.join(', ')} differ from ${CONFIGS.join(', ')}`);
  const revisions = new Map<string, Map<string, RegistryFile>>();
  for (const [revision, entry] of Object.entries(json.revisions)) {
    if (!/^[0-9a-f]{40}$/.test(revision)) throw invalid(`revision "${revision}" is not a 40-hex commit`);
    const files = new Map<string, RegistryFile>();
    for (const [filePathKey, file] of Object.entries(entry.files)) {
      if (!CONFIGS.includes(file.config as ConfigName)) throw invalid(`${filePathKey}: unknown config ${file.config}`);
      if (filePathKey !== filePath(file.config as ConfigName, file.task)) throw invalid(`${filePathKey}: path does not match config/task`);
      if (file.sha256 !== null && !/^[0-9a-f]{64}$/.test(file.sha256)) throw invalid(`${filePathKey}: bad sha256`);
      if (file.md5 !== null && !/^[0-9a-f]{32}$/.test(file.md5)) throw invalid(`${filePathKey}: bad md5`);
      files.set(filePathKey, { config: file.config as ConfigName, path: filePathKey, size: file.size, md5: file.md5, sha256: file.sha256, rows: file.rows });
    }
    revisions.set(revision, files);
  }
  const pinned = revisions.get(DEFAULT_DATASET.revision);
  if (!pinned) throw invalid('no entry for the default revision');
  const tasks = json.tasks.map((task): TaskInfo => {
    if (!GROUPS.includes(task.group as DomainGroup)) throw invalid(`${task.name}: unknown group ${task.group}`);
    const files: TaskInfo['files'] = {};
    const rows: TaskInfo['rows'] = {};
    const configs: ConfigName[] = [];
    for (const config of CONFIGS) {
      const file = pinned.get(filePath(config, task.name));
      if (!file) continue;
      configs.push(config);
      files[config] = file;
      rows[config] = file.rows;
    }
    if (!files.examples || !files.documents) throw invalid(`${task.name}: examples and documents files are required`);
    if (task.hasLong !== Boolean(files.long_documents)) throw invalid(`${task.name}: hasLong disagrees with its files`);
    return { name: task.name, group: task.group as DomainGroup, hasLong: task.hasLong, configs, files, rows };
  });
  cached = { tasks, revisions };
  return cached;
}

/**
 * The registered revision whose files have exactly these sha256s — a --data-dir holding that revision's files — or
 * undefined. The pinned revision is tried first; a revision without a sha256 for one of the files never matches.
 */
export function revisionOfFiles(
  files: ReadonlyArray<{ path: string; sha256: string }>,
  revisions: ReadonlyMap<string, ReadonlyMap<string, RegistryFile>> = loadRegistry().revisions,
): string | undefined {
  if (files.length === 0) return undefined;
  const order = [DEFAULT_DATASET.revision, ...[...revisions.keys()].filter((revision) => revision !== DEFAULT_DATASET.revision)];
  return order.find((revision) => {
    const known = revisions.get(revision);
    return known !== undefined && files.every((file) => known.get(file.path)?.sha256 === file.sha256);
  });
}

/** All 12 tasks in the paper's column order. */
export function listTasks(): TaskInfo[] {
  return loadRegistry().tasks;
}

/** What the registry records for `path` at `revision`; undefined for unknown revisions or files. */
export function registryFile(revision: string, filePathKey: string): RegistryFile | undefined {
  return loadRegistry().revisions.get(revision)?.get(filePathKey);
}

/** Closest candidate by edit distance, for "did you mean" hints. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) {
        current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      previous = current;
    }
    return previous[b.length]!;
  };
  const normalized = input.toLowerCase().replace(/-/g, '_');
  // BRIGHT's README says "theoremqa": a prefix names the family
  const prefixed = candidates.find((name) => normalized.length >= 3 && name.toLowerCase().startsWith(normalized));
  if (prefixed) return prefixed;
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const score = distance(normalized, name.toLowerCase());
    if (!best || score < best.score) best = { name, score };
  }
  return best && best.score <= Math.max(2, Math.floor(input.length / 3)) ? best.name : undefined;
}

export function getTask(name: string): TaskInfo {
  const tasks = listTasks();
  // pyserini/ir_datasets spell the slugs with hyphens (earth-science); accept both
  const found = tasks.find((task) => task.name === name || task.name === name.replace(/-/g, '_'));
  if (found) return found;
  const hint = suggest(name, tasks.map((task) => task.name));
  throw usageError(
    'unknown_task',
    `unknown task "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; valid tasks: ${tasks.map((task) => task.name).join(', ')}, or "all"`,
  );
}

/** "biology,pony" or "all" -> tasks in the order given (all: paper order), without duplicates. */
export function parseTaskList(spec: string): TaskInfo[] {
  const names = spec.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  if (names.length === 0) throw usageError('no_task', `no task given; valid tasks: ${listTasks().map((task) => task.name).join(', ')}, or "all"`);
  if (names.includes('all')) return listTasks();
  const tasks: TaskInfo[] = [];
  for (const name of names) {
    const task = getTask(name);
    if (!tasks.includes(task)) tasks.push(task);
  }
  return tasks;
}

/** The HF config that holds a query variant's text. */
export function queryConfig(variant: QueryVariant): ConfigName {
  return variant === 'original' ? 'examples' : (`${variant}_reason` as ConfigName);
}

export function parseQueryVariant(value: string): QueryVariant {
  if ((QUERY_VARIANTS as readonly string[]).includes(value)) return value as QueryVariant;
  const hint = suggest(value, QUERY_VARIANTS);
  throw usageError('unknown_query_variant', `unknown query variant "${value}"${hint ? ` (did you mean "${hint}"?)` : ''}; valid: ${QUERY_VARIANTS.join(', ')}`);
}

export function parseConfigList(spec: string): ConfigName[] {
  const names = spec.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  return names.map((name) => {
    if ((CONFIGS as readonly string[]).includes(name)) return name as ConfigName;
    const hint = suggest(name, CONFIGS);
    throw usageError('unknown_config', `unknown config "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; valid configs: ${CONFIGS.join(', ')}`);
  });
}

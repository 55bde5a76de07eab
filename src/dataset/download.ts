/** Fetches a set of BRIGHT files into the hub cache (and optionally copies them to a plain folder for mirrors). */
import path from 'node:path';
import { copyFileAtomic } from '../core/atomic-file.js';
import { environmentError, usageError } from '../core/errors.js';
import { log } from '../core/log.js';
import { hubFileInfo, resolveRevision } from './hub.js';
import { DEFAULT_DATASET, filePath, registryFile } from './registry.js';
import type { ConfigName, TaskInfo } from './registry.js';

export interface DownloadedFile {
  task: string;
  config: ConfigName;
  path: string;
  localPath: string;
  size: number;
  sha256: string;
  cached: boolean;
}

export interface DownloadResult {
  repo: string;
  revision: string;
  files: DownloadedFile[];
}

/**
 * Every (task, config) pair the registry has a file for. Asking only for configs a task lacks (leetcode and
 * long_documents) is a usage error; with several tasks the missing combinations are skipped with a note.
 */
export function plannedFiles(tasks: TaskInfo[], configs: ConfigName[] | undefined): Array<{ task: TaskInfo; config: ConfigName }> {
  const planned: Array<{ task: TaskInfo; config: ConfigName }> = [];
  const skipped: string[] = [];
  for (const task of tasks) {
    for (const config of configs ?? task.configs) {
      if (task.configs.includes(config)) planned.push({ task, config });
      else skipped.push(`${task.name}/${config}`);
    }
  }
  if (planned.length === 0) {
    throw usageError('no_files', `nothing to download: ${skipped.join(', ')} do(es) not exist (long_documents exists only for tasks with a long-document corpus)`);
  }
  if (skipped.length > 0) log.info(`skipping ${skipped.join(', ')}: not in the dataset`);
  return planned;
}

export async function downloadFiles(options: {
  tasks: TaskInfo[];
  configs?: ConfigName[];
  revision?: string;
  /** Dataset repository with BRIGHT's layout (`--dataset`); default DEFAULT_DATASET.repo. */
  repo?: string;
  /** Also copy each file to <copyTo>/<path>, the layout --data-dir reads. */
  copyTo?: string;
  signal?: AbortSignal;
}): Promise<DownloadResult> {
  const planned = plannedFiles(options.tasks, options.configs);
  const repo = options.repo ?? DEFAULT_DATASET.repo;
  const revision = await resolveRevision({ repoType: 'dataset', repo, revision: options.revision ?? DEFAULT_DATASET.revision, signal: options.signal });
  const files: DownloadedFile[] = [];
  for (const { task, config } of planned) {
    const repoPath = filePath(config, task.name);
    // the registry's sizes and hashes are xlangai/BRIGHT's; another repo is checked against the server's sha256
    const known = repo === DEFAULT_DATASET.repo ? registryFile(revision, repoPath) : undefined;
    const info = await hubFileInfo({
      repoType: 'dataset',
      repo,
      revision,
      path: repoPath,
      expected: {
        ...(known?.sha256 ? { sha256: known.sha256 } : {}),
        ...(typeof known?.size === 'number' ? { size: known.size } : {}),
        ...(known?.md5 ? { md5: known.md5 } : {}),
      },
      progressLabel: `${task.name} ${config}`,
      signal: options.signal,
    });
    if (options.copyTo) {
      const target = path.join(options.copyTo, ...repoPath.split('/'));
      await copyFileAtomic(info.path, target).catch((error: unknown) => {
        throw environmentError('copy_failed', `cannot copy ${repoPath} to ${target}: ${(error as Error).message}; check the folder's free space and permissions`, error);
      });
    }
    files.push({ task: task.name, config, path: repoPath, localPath: info.path, size: info.size, sha256: info.sha256, cached: info.cached });
  }
  return { repo, revision, files };
}

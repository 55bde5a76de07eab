/**
 * Which dataset repository `--dataset REPO[@REV]` names: configs/datasets.json lists the BRIGHT-schema datasets
 * whose revisions (and, for xlangai/BRIGHT, checksums) are established; any other repo is read by schema check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usageError } from '../core/errors.js';
import { packageRoot } from '../core/version.js';
import { DEFAULT_DATASET } from './registry.js';

export interface KnownDataset {
  repo: string;
  default_revision: string;
  layout: string;
  checksums: string | null;
  published_numbers: boolean;
  provenance: string;
}

export const KNOWN_DATASETS: readonly KnownDataset[] = (
  JSON.parse(readFileSync(path.join(packageRoot, 'configs', 'datasets.json'), 'utf8')) as { datasets: KnownDataset[] }
).datasets;

export interface DatasetChoice {
  repo: string;
  revision: string;
  /** The registry entry, or null for a repo read by schema check alone. */
  known: KnownDataset | null;
  /** What the user should know before numbers from this dataset are read (null for the default dataset). */
  warning: string | null;
}

/** `REPO` or `REPO@REV` (a 40-hex commit or a branch); without @REV a known repo gets its pinned revision, others main. */
export function parseDatasetOption(spec: string): DatasetChoice {
  const match = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(spec.trim());
  if (!match) throw usageError('bad_dataset', `--dataset "${spec}": expected OWNER/NAME or OWNER/NAME@REVISION (a commit or branch)`);
  const repo = match[1]!;
  const known = KNOWN_DATASETS.find((entry) => entry.repo.toLowerCase() === repo.toLowerCase()) ?? null;
  const revision = match[2] ?? (known ? known.default_revision : 'main');
  const canonical = known?.repo ?? repo;
  let warning: string | null = null;
  if (!known) {
    warning = `dataset ${repo} is not in configs/datasets.json: its files are read by schema check alone (BRIGHT's columns) and no published numbers apply`;
  } else if (!known.published_numbers) {
    warning = `dataset ${canonical}: no checksums are pinned for it (files are verified against the server's sha256) and no published numbers apply`;
  }
  return { repo: canonical, revision, known, warning: canonical === DEFAULT_DATASET.repo ? null : warning };
}

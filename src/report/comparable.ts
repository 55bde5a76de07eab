import { usageError } from '../core/errors.js';
import { DEFAULT_MEASURES, measureKey } from '../eval/measure.js';
import { measuresOf, readTaskManifest, type ResultsDir } from '../results/results-folder.js';

/** What must be equal for two runs' numbers to be set against each other. */
export interface ComparableSetting {
  long: boolean;
  /** Documents kept per query; null when neither summary.json nor a manifest records it. */
  topK: number | 'all' | null;
  revision: string | null;
  measures: string[];
}

/** The run's setting; top_k from summary.json, or from a task's manifest.json for runs written before it was there. */
export async function comparableSetting(run: ResultsDir): Promise<ComparableSetting> {
  let topK = run.summary.top_k ?? null;
  const firstTask = Object.keys(run.summary.tasks)[0];
  if (topK === null && firstTask !== undefined) {
    const manifest = (await readTaskManifest(run, firstTask)) as { top_k?: number | 'all' } | null;
    topK = manifest?.top_k ?? null;
  }
  return {
    long: run.summary.long,
    topK,
    revision: run.summary.dataset?.revision ?? null,
    // BRIGHT's 25 decide comparability; measures added on top (Recall@1000 since it was scored, eval --measures)
    // change none of them, so a run with more is still comparable with one without
    measures: [...measuresOf(run)].filter((name) => DEFAULT_MEASURES.some((measure) => measure.key === measureKey(name))).sort(),
  };
}

function show(value: unknown): string {
  return value === null || value === undefined ? 'unknown' : String(value);
}

/** One line per way the runs differ (`top_k: results/a 1000, results/b 10`); empty when they are comparable. */
export async function settingDifferences(runs: ResultsDir[]): Promise<string[]> {
  if (runs.length < 2) return [];
  const settings = await Promise.all(runs.map(comparableSetting));
  const differences: string[] = [];
  const listing = (value: (setting: ComparableSetting) => string) => runs.map((run, i) => `${run.dir} ${value(settings[i]!)}`).join(', ');
  const distinct = (value: (setting: ComparableSetting) => string) => new Set(settings.map(value)).size > 1;
  const documents = (setting: ComparableSetting) => (setting.long ? 'long documents' : 'short documents');
  if (distinct(documents)) differences.push(`documents: ${listing(documents)}`);
  const topK = (setting: ComparableSetting) => show(setting.topK);
  // a run written before top_k was recorded anywhere cannot be told apart: it is compared on the rest
  if (new Set(settings.flatMap((setting) => (setting.topK === null ? [] : [String(setting.topK)]))).size > 1) differences.push(`top_k: ${listing(topK)}`);
  const revision = (setting: ComparableSetting) => show(setting.revision);
  if (distinct(revision)) differences.push(`dataset revision: ${listing(revision)}`);
  const all = new Set(settings.flatMap((setting) => setting.measures));
  const missing = runs.flatMap((run, i) => {
    const lacks = [...all].filter((measure) => !settings[i]!.measures.includes(measure));
    return lacks.length > 0 ? [`${run.dir} lacks ${lacks.join(', ')}`] : [];
  });
  if (missing.length > 0) differences.push(`measures: ${missing.join('; ')}`);
  return differences;
}

/**
 * Refuses (exit 2, naming each difference) to set runs against each other whose numbers are not comparable: long
 * vs short documents, top_k, dataset revision, measure set. With `force` the differences come back instead, for
 * the output to carry as a mark. Query variants (original vs gpt4) may differ: that is what comparisons are for.
 */
export async function enforceComparable(runs: ResultsDir[], force: boolean, command: string): Promise<string[]> {
  const differences = await settingDifferences(runs);
  if (differences.length === 0 || force) return differences.map((difference) => `FORCED (--force): not comparable, ${difference}`);
  throw usageError(
    'not_comparable',
    `${command}: these runs are not comparable:\n  ${differences.join('\n  ')}\nre-run them in the same setting, or pass --force to ${command} them anyway (the output is then marked)`,
  );
}

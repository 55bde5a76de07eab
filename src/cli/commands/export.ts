import { Option, type Command } from '@commander-js/extra-typings';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { CommandContext } from '../program.js';

const FORMATS = ['mteb', 'bright'] as const;

/** MTEB's folder name for a model id (`org/name` -> `org__name`), as its results repository spells it. */
const mtebModelFolder = (name: string) => name.replaceAll('/', '__');

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('export')
    .description('write a results folder in another tool\'s layout: MTEB result files, or BRIGHT\'s outputs/ folder')
    .argument('<results-dir>', 'a directory written by `reasonir eval --out`')
    .addOption(new Option('--format <format>', 'mteb: <model>/<revision>/<Task>.json + model_meta.json; bright: outputs/{task}_{model}_long_{lc}/').choices(FORMATS).makeOptionMandatory())
    .requiredOption('--out <dir>', 'where to write (files already there are never overwritten)')
    .option('--model-name <org/name>', 'mteb: the model id (default: the checkpoint the run used, else the retriever)')
    .option('--model-revision <rev>', 'mteb: the model revision folder (default: a local model\'s weights digest, else no_revision_available as MTEB names an unknown one)')
    .option('--mteb-version <v>', 'mteb: the results format version written as mteb_version', '2.0.0')
    .option('--batch-size <n>', 'bright: the batch size in the embedding cache folder name long_{lc}_{bs} (run.py\'s default -1)', (value) => {
      if (!/^-?\d+$/.test(value)) throw usageError('bad_batch_size', `--batch-size ${value}: expected an integer`);
      return Number(value);
    }, -1)
    .action(async (dir, options) => {
      // the implementation loads when the command runs: help and other commands never load it
      const [{ writeFileAtomic }, { readResultsDir, readTaskManifest }, { reasonirCacheDir }] = await Promise.all([
        import('../../core/atomic-file.js'),
        import('../../results/results-folder.js'),
        import('../../core/cache-dir.js'),
      ]);
      const results = await readResultsDir(dir);
      const { summary } = results;
      if (Object.keys(summary.tasks).length === 0) throw usageError('export_empty', `${dir} holds no finished task`);
      const planned = new Map<string, string>();
      if (options.format === 'mteb') {
        const [{ formatModelMeta }, { mtebFiles }, { readExportTasks }] = await Promise.all([
          import('../../export/model-meta.js'),
          import('../../export/mteb-results.js'),
          import('../../export/results-folder.js'),
        ]);
        const tasks = await readExportTasks(results);
        const parameters = (tasks[0]?.manifest?.retriever as { parameters?: Record<string, unknown> } | undefined)?.parameters ?? {};
        // a local model folder is labelled name@<weights digest>: the digest is the closest thing to a revision it has
        const [label, digest] = (summary.model ?? summary.retriever).split('@') as [string, string | undefined];
        // a model config names its Hub checkpoint ({repo, revision}): MTEB files results under that name and commit
        const checkpoint = parameters.checkpoint as { repo?: string; revision?: string } | null | undefined;
        const name = options.modelName ?? checkpoint?.repo ?? label;
        const revision = options.modelRevision ?? digest ?? checkpoint?.revision ?? 'no_revision_available';
        const folder = path.join(options.out, mtebModelFolder(name), revision);
        for (const file of mtebFiles(tasks, { long: summary.long, revision: summary.dataset.revision, mtebVersion: options.mtebVersion })) {
          if (summary.dataset.revision !== file.pinnedRevision) {
            log.warn(`${file.taskName}: the run read ${summary.dataset.repo}@${summary.dataset.revision.slice(0, 12)}, MTEB's task pins ${file.pinnedRevision.slice(0, 12)}; dataset_revision records what was read`);
          }
          planned.set(path.join(folder, file.fileName), file.json);
        }
        const maxLength = parameters.maxLength as { document?: number } | undefined;
        const similarity = typeof parameters.similarity === 'string' ? (parameters.similarity === 'cosine' ? 'cosine' : 'dot') : null;
        planned.set(path.join(folder, 'model_meta.json'), formatModelMeta({ name, revision, embedDim: null, maxTokens: maxLength?.document ?? null, similarity }));
      }
      let written: string[];
      if (options.format === 'mteb') {
        for (const target of planned.keys()) {
          const exists = await fs.access(target).then(() => true, () => false);
          if (exists) throw usageError('export_exists', `${target} already exists; choose another --out or remove it first`);
        }
        for (const [target, json] of planned) await writeFileAtomic(target, json);
        written = [...planned.keys()];
      } else {
        const existing = await fs.readdir(path.join(options.out, 'outputs')).catch(() => [] as string[]);
        if (existing.length > 0) throw usageError('export_exists', `${path.join(options.out, 'outputs')} already holds files; choose another --out or remove it first`);
        // Arrow (the embedding caches copied to .npy) loads only for this format
        const { writeBrightOutputs } = await import('../../export/bright-outputs.js');
        const manifests = new Map(await Promise.all(Object.keys(summary.tasks).map(async (task) => [task, (await readTaskManifest(results, task)) as Record<string, unknown> | null] as const)));
        written = await writeBrightOutputs(dir, summary, options.out, { batchSize: options.batchSize, cacheRoot: reasonirCacheDir(), manifests });
      }
      for (const file of written) io.stdout.write(`${file}\n`);
    });
}

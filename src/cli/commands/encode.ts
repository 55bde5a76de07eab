import { Option, type Command } from '@commander-js/extra-typings';
import { usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { startProgress } from '../../core/progress.js';
import { parseDatasetOption } from '../../dataset/datasets.js';
import { DEFAULT_DATASET, parseTaskList } from '../../dataset/registry.js';
import { parsePositiveInteger, parseShard } from '../parse-options.js';
import type { CommandContext } from '../program.js';

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('encode')
    .description('build the index stage only (dense embeddings, BM25 postings) into the cache, or one --shard slice of it; no scoring')
    .requiredOption('-t, --task <tasks>', 'task name(s), comma separated, or "all"')
    .addOption(new Option('-r, --retriever <kind>', 'retriever whose index to build').choices(['bm25', 'dense'] as const).default('bm25' as const))
    .option('--long', 'long-document corpus (long_documents)', false)
    .option('--revision <rev>', 'dataset revision: 40-hex commit or branch name', DEFAULT_DATASET.revision)
    .option('--dataset <repo[@rev]>', 'another dataset with BRIGHT\'s layout and schema (as for eval: the gather step must name the same)')
    .option('--data-dir <dir>', 'read the parquet files from this folder (same relative paths as on Hugging Face)')
    .option('-m, --model <name|dir>', 'dense model: a config name from configs/models or a local ONNX model directory')
    .option('--device <device>', 'dense encoding device: auto, cpu, cuda or cuda:N', 'auto')
    .option('--batch-tokens <n>', 'token budget per encoding batch', parsePositiveInteger)
    .option('--chunk-rows <n>', 'rows per embedding-cache chunk, the unit a shard is made of (default 2048; a cache entry keeps the size it was created with)', parsePositiveInteger)
    .option('--shard <i/n>', 'build only slice i of n of each corpus (whole chunks; dense only)', parseShard)
    .addHelpText(
      'after',
      '\nEach shard caches its slice and exits 0, whatever the other shards have done. `reasonir eval` with the same\n' +
        'task, model and data is the gather step: it uses every cached slice, encodes what is missing, and scores.',
    )
    .action(async (options) => {
      const tasks = parseTaskList(options.task);
      const withoutLong = tasks.filter((task) => options.long && !task.hasLong).map((task) => task.name);
      if (withoutLong.length > 0) {
        throw usageError('no_long_corpus', `--long: ${withoutLong.join(', ')} ha${withoutLong.length > 1 ? 've' : 's'} no long-document corpus`);
      }
      for (const [flag, value] of Object.entries({ '--model': options.model, '--batch-tokens': options.batchTokens, '--chunk-rows': options.chunkRows })) {
        if (value !== undefined && options.retriever !== 'dense') throw usageError('flag_needs_dense', `${flag} needs --retriever dense`);
      }
      if (options.shard && options.retriever !== 'dense') {
        throw usageError('not_sliceable', "--shard needs --retriever dense: BM25's index is built whole (its dictionary depends on every document before it)");
      }
      const dataset = options.dataset === undefined ? undefined : parseDatasetOption(options.dataset);
      if (dataset?.warning) log.warn(dataset.warning);
      // the implementation loads when the command runs: help and other commands never load it
      const [{ createRetriever }, { describeEncodeOutcome, encodeTask }] = await Promise.all([import('../../pipeline/create-retriever.js'), import('../../pipeline/encode-task.js')]);
      const signal = io.signal;
      const retriever = await createRetriever(
        { kind: options.retriever, model: options.model, device: options.device, batchTokens: options.batchTokens, chunkRows: options.chunkRows },
        tasks[0]!.name,
        signal,
      );
      for (const task of tasks) {
        const outcome = await encodeTask({
          task: task.name,
          long: options.long,
          revision: dataset?.revision ?? options.revision,
          ...(dataset ? { repo: dataset.repo } : {}),
          dataDir: options.dataDir,
          retriever,
          slice: options.shard,
          signal,
          progress: startProgress,
        });
        log.info(describeEncodeOutcome(outcome, options.shard));
        const report = outcome.slice;
        io.stdout.write(
          `${[task.name, options.shard ? `${options.shard.index}/${options.shard.count}` : 'all', report ? `${report.start}-${report.end}` : '-', outcome.complete ? 'complete' : 'partial'].join('\t')}\n`,
        );
      }
    });
}

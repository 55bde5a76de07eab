import { Option, type Command } from '@commander-js/extra-typings';
import { usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { DEFAULT_DATASET, QUERY_VARIANTS, parseTaskList, type QueryVariant, type TaskInfo } from '../../dataset/registry.js';
import { parseMeasureList } from '../../eval/measure.js';
import { parseDatasetOption } from '../../dataset/datasets.js';
import { RETRIEVER_KINDS } from '../../pipeline/create-retriever.js';
import { startOnFirstCorpus } from '../../pipeline/first-corpus.js';
import { formatDuration, startProgress } from '../../core/progress.js';
import { terminalWidth } from '../terminal-width.js';
import { parseDepth, parsePositiveInteger } from '../parse-options.js';
import type { CommandContext } from '../program.js';

export function register(program: Command, { io, argv }: CommandContext): void {
  program
    .command('eval')
    .description('evaluate a retriever on BRIGHT tasks and compare with the published numbers')
    .option('-t, --task <tasks>', 'task name(s), comma separated, or "all" (required unless --resume)')
    .option('--resume <dir>', 'continue a results folder of the same setting (checked): finished tasks kept, the rest run; --task defaults to the folder\'s requested tasks')
    .addOption(new Option('-r, --retriever <kind>', 'retriever').choices(RETRIEVER_KINDS).default('bm25' as const))
    .option('--queries <variant|file>', `query text: ${QUERY_VARIANTS.join(', ')} (BRIGHT's LLM reasoning rewrites), or a queries file written by \`reasonir reason\` ({task} in the path is the task)`, 'original')
    .option('--long', 'long-document setting (long_documents corpus, gold_ids_long, headline Recall@1)', false)
    .option('--revision <rev>', 'dataset revision: 40-hex commit or branch name', DEFAULT_DATASET.revision)
    .option('--dataset <repo[@rev]>', 'another dataset with BRIGHT\'s layout and schema (mteb/BRIGHT, a fork); a known one defaults to its pinned revision')
    .option('--data-dir <dir>', 'read the parquet files from this folder (same relative paths as on Hugging Face)')
    .option('-k, --top-k <n>', 'documents kept per query after exclusions, or "all"', parseDepth, 1000 as number | 'all')
    .option('-o, --out <dir>', 'output directory (default: results/<retriever>-<queries>-<date>)')
    .option('--compare-as <name>', 'set a local model (labelled folder@sha) against the published rows of this model config anyway; recorded and marked in tables')
    .option('-m, --model <name|dir>', 'dense model: a config name from configs/models, a local ONNX model directory, or a Hugging Face checkpoint folder')
    .option('--device <device>', 'dense encoding device: auto, cpu, cuda or cuda:N', 'auto')
    .option('--batch-tokens <n>', 'token budget per encoding batch', parsePositiveInteger)
    .option('--chunk-rows <n>', 'rows per embedding-cache chunk, the unit of resume and of encode shards (default 2048; a cache entry keeps the size it was created with)', parsePositiveInteger)
    .option('--force', 'run a checkpoint of over 2B parameters on the CPU anyway (hours to days per task)')
    .addOption(new Option('--shard <i/n>', 'moved to `reasonir encode --shard`').hideHelp())
    .option('--doc-emb <file>', 'precomputed document embeddings (.npy or .arrow); {task} is replaced by the task name')
    .option('--query-emb <file>', 'precomputed query embeddings (.npy or .arrow); {task} is replaced by the task name')
    .option('--measures <list>', 'more measures for metrics.json and summary.json, any spelling (nDCG@20,AP@100,RR@10,Success@5,Judged@10); BRIGHT\'s 25 and Recall@1000 are always scored')
    .option('--json', 'print summary.json on stdout instead of the table', false)
    .action(async (options) => {
      if (options.resume !== undefined && options.out !== undefined) throw usageError('resume_out', '--resume DIR writes into DIR; leave out --out');
      const resumed = options.resume === undefined ? undefined : (await (await import('../../results/results-folder.js')).readResultsDir(options.resume)).summary;
      const taskList = options.task ?? (resumed ? (resumed.requested_tasks ?? Object.keys(resumed.tasks)).join(',') : undefined);
      if (taskList === undefined) throw usageError('missing_task', "required option '-t, --task <tasks>' not specified");
      const tasks = parseTaskList(taskList);
      const withoutLong = tasks.filter((task) => options.long && !task.hasLong).map((task) => task.name);
      if (withoutLong.length > 0) {
        throw usageError('no_long_corpus', `--long: ${withoutLong.join(', ')} ha${withoutLong.length > 1 ? 've' : 's'} no long-document corpus`);
      }
      if (options.shard !== undefined) {
        throw usageError('shard_moved', '--shard belongs to `reasonir encode --shard i/n` (it builds one slice of the index); then `reasonir eval` without --shard gathers the slices and scores');
      }
      const denseOnly = { '--model': options.model, '--batch-tokens': options.batchTokens, '--chunk-rows': options.chunkRows, '--force': options.force };
      const embeddingsOnly = { '--doc-emb': options.docEmb, '--query-emb': options.queryEmb };
      for (const [flag, value] of Object.entries(denseOnly)) {
        if (value !== undefined && options.retriever !== 'dense') throw usageError('flag_needs_dense', `${flag} needs --retriever dense`);
      }
      for (const [flag, value] of Object.entries(embeddingsOnly)) {
        if (value !== undefined && options.retriever !== 'embeddings') throw usageError('flag_needs_embeddings', `${flag} needs --retriever embeddings`);
      }
      if (options.compareAs !== undefined) {
        if (options.retriever === 'bm25') throw usageError('flag_needs_dense', '--compare-as needs --retriever dense or embeddings');
        const known = await (await import('../../encode/model-config.js')).listModelConfigs();
        if (!known.includes(options.compareAs)) throw usageError('unknown_model', `--compare-as ${options.compareAs}: no such model config; known: ${known.join(', ')}`);
      }
      const depth = options.topK;
      const extraMeasures = options.measures === undefined ? [] : parseMeasureList(options.measures);
      const dataset = options.dataset === undefined ? undefined : parseDatasetOption(options.dataset);
      if (dataset?.warning) log.warn(dataset.warning);
      const revision = dataset?.revision ?? options.revision;
      const queries = await resolveQueries(options.queries, tasks);
      const retriever = {
        kind: options.retriever,
        model: options.model,
        device: options.device,
        batchTokens: options.batchTokens,
        chunkRows: options.chunkRows,
        force: options.force,
        docEmbeddings: options.docEmb,
        queryEmbeddings: options.queryEmb,
      };
      // BM25 starts on the first task's corpus before the rest of the implementation loads (~50 ms of this thread):
      // its analysis workers boot meanwhile, or its cached index is read (a dense model's load could fail where the
      // run must first check its folder, so other retrievers are created by the run)
      const started =
        options.retriever === 'bm25' && options.resume === undefined
          ? await startOnFirstCorpus(retriever, { task: tasks[0]!.name, long: options.long, revision, ...(dataset ? { repo: dataset.repo } : {}), dataDir: options.dataDir })
          : undefined;
      // the implementation loads when the command runs: help and other commands never load it
      const [{ renderEvalTables }, { evalMeasures, runEvaluation }, { evalTerminal }] = await Promise.all([
        import('../../pipeline/eval-table.js'),
        import('../../pipeline/run-evaluation.js'),
        import('../eval-terminal.js'),
      ]);
      const cutShort = depth === 'all' ? [] : evalMeasures(extraMeasures).filter((measure) => measure.cutoff !== null && measure.cutoff > depth);
      if (cutShort.length > 0) {
        const cutoffs = [...new Set(cutShort.map((measure) => measure.cutoff))].join(', ');
        log.warn(`--top-k ${depth} keeps ${depth} documents per query: measures at cutoffs ${cutoffs} (Recall@100, NDCG@100, …) are not comparable with runs that keep more`);
      }
      const signal = io.signal;
      const terminal = evalTerminal();
      const { outDir, summary } = await runEvaluation({
        tasks,
        extraMeasures,
        retriever,
        ...(started !== undefined ? { started } : {}),
        queries: queries.variant,
        ...(queries.file ? { queriesFile: queries.file } : {}),
        long: options.long,
        revision,
        ...(dataset ? { repo: dataset.repo } : {}),
        dataDir: options.dataDir,
        depth: options.topK,
        out: options.resume ?? options.out,
        ...(options.resume !== undefined ? { resume: true } : {}),
        argv: [...argv],
        signal,
        progress: startProgress,
        observer: terminal,
        ...(options.compareAs !== undefined ? { compareAs: options.compareAs } : {}),
      });
      const done = Object.keys(summary.tasks).length;
      log.info(`${done} task${done === 1 ? '' : 's'} in ${formatDuration(terminal.elapsedSeconds())}; results in ${outDir}`);
      if (options.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else io.stdout.write(`${await renderEvalTables(outDir, summary, terminalWidth(), terminal.publishedRows())}\n`);
    });
}

/**
 * A dataset variant, or a `reasonir reason` file per task: every file is read and checked (format, task) before
 * any work; the run is labelled `reason-<model>` after the model that wrote the texts.
 */
async function resolveQueries(value: string, tasks: readonly TaskInfo[]): Promise<{ variant: QueryVariant; file?: { template: string; label: string } }> {
  if ((QUERY_VARIANTS as readonly string[]).includes(value)) return { variant: value as QueryVariant };
  const { checkQueriesTemplate, queriesFilePath, readQueriesFile } = await import('../../dataset/queries-file.js');
  if (!value.includes('/') && !value.includes('{task}') && !value.endsWith('.json')) {
    throw usageError('queries_variant', `--queries ${value} is neither a query variant (${QUERY_VARIANTS.join(', ')}) nor a queries file path (a .json file written by \`reasonir reason\`)`);
  }
  checkQueriesTemplate(value, tasks.length, '--queries');
  const models = new Set<string>();
  for (const task of tasks) {
    const file = await readQueriesFile(queriesFilePath(value, task.name), task.name);
    models.add(typeof file.source.model === 'string' ? file.source.model : 'file');
  }
  const model = models.size === 1 ? [...models][0]! : 'file';
  return { variant: 'original', file: { template: value, label: `reason-${model.split('/').pop()}` } };
}

import { promises as fs } from 'node:fs';
import { Option, type Command } from '@commander-js/extra-typings';
import { HarnessError, usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { DEFAULT_DATASET, QUERY_VARIANTS, parseTaskList, type QueryVariant } from '../../dataset/registry.js';
import { DEFAULT_MEASURES, parseMeasure } from '../../eval/measure.js';
import { createRetriever, RETRIEVER_KINDS, type RetrieverChoice } from '../../pipeline/create-retriever.js';
import { evaluateTask } from '../../pipeline/evaluate-task.js';
import { chooseOutputDir, writeSummary, writeTaskResults, type EvalSetting } from '../../pipeline/results-dir.js';
import type { RunSummary } from '../../report/results-dir.js';
import { renderEvalTables } from '../../pipeline/eval-table.js';
import { packageVersion } from '../../core/version.js';
import { interruptSignal } from '../interrupt.js';
import { parseDepth, parseShard, parsePositiveInteger } from '../parse-options.js';

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a retriever on BRIGHT tasks and compare with the published numbers')
    .requiredOption('-t, --task <tasks>', 'task name(s), comma separated, or "all"')
    .addOption(new Option('-r, --retriever <kind>', 'retriever').choices(RETRIEVER_KINDS).default('bm25' as const))
    .addOption(new Option('--queries <variant>', 'query text: the original query or an LLM reasoning rewrite').choices(QUERY_VARIANTS).default('original' as QueryVariant))
    .option('--long', 'long-document setting (long_documents corpus, gold_ids_long, headline Recall@1)', false)
    .option('--revision <rev>', 'dataset revision: 40-hex commit or branch name', DEFAULT_DATASET.revision)
    .option('--data-dir <dir>', 'read the parquet files from this folder (same relative paths as on Hugging Face)')
    .option('-k, --top-k <n>', 'documents kept per query after exclusions, or "all"', parseDepth, 1000 as number | 'all')
    .option('-o, --out <dir>', 'output directory (default: results/<retriever>-<queries>-<date>)')
    .option('-m, --model <name|dir>', 'dense model: a config name from configs/models or a local ONNX model directory')
    .option('--device <device>', 'dense encoding device: auto, cpu, cuda or cuda:N', 'auto')
    .option('--batch-tokens <n>', 'token budget per encoding batch', parsePositiveInteger)
    .option('--shard <i/n>', 'encode only shard i of n of each corpus (embedding cache); scoring runs once all shards exist', parseShard)
    .option('--doc-emb <file>', 'precomputed document embeddings (.npy or .arrow); {task} is replaced by the task name')
    .option('--query-emb <file>', 'precomputed query embeddings (.npy or .arrow); {task} is replaced by the task name')
    .option('--json', 'print summary.json on stdout instead of the table', false)
    .action(async (options) => {
      const tasks = parseTaskList(options.task);
      const withoutLong = tasks.filter((task) => options.long && !task.hasLong).map((task) => task.name);
      if (withoutLong.length > 0) {
        throw usageError('no_long_corpus', `--long: ${withoutLong.join(', ')} ha${withoutLong.length > 1 ? 've' : 's'} no long-document corpus`);
      }
      if (options.retriever !== 'dense' && options.model) {
        throw usageError('model_without_dense', '--model needs --retriever dense');
      }
      const signal = interruptSignal();
      const choice: RetrieverChoice = {
        kind: options.retriever,
        model: options.model,
        device: options.device,
        batchTokens: options.batchTokens,
        shard: options.shard,
        docEmbeddings: options.docEmb,
        queryEmbeddings: options.queryEmb,
        long: options.long,
        revision: options.dataDir ? 'local' : options.revision,
        signal,
      };
      const headline = parseMeasure(options.long ? 'Recall@1' : 'NDCG@10');
      // model and device problems surface before anything is written
      const shared = options.retriever === 'embeddings' ? undefined : await createRetriever(choice, tasks[0]!.name);
      const baseSetting = {
        retriever: options.retriever,
        // BRIGHT's model key (`reasonir` for an export whose reasonir.json extends it) picks the published row
        model: typeof shared?.parameters.family === 'string' ? shared.parameters.family : null,
        queries: options.queries,
        long: options.long,
        depth: options.topK,
        argv: process.argv.slice(2),
      };
      const outDir = await chooseOutputDir(options.out, { ...baseSetting, retrieverParameters: {} });
      log.info(`reasonir ${packageVersion()}: writing results to ${outDir}`);
      const summary: RunSummary = {
        reasonir_version: packageVersion(),
        retriever: options.retriever,
        model: baseSetting.model,
        queries: options.queries,
        long: options.long,
        dataset: { repo: DEFAULT_DATASET.repo, revision: options.dataDir ? 'local' : options.revision },
        created: new Date().toISOString(),
        headline: headline.name,
        tasks: {},
      };
      const pending: string[] = [];
      try {
        for (const task of tasks) {
          const retriever = shared ?? (await createRetriever(choice, task.name));
          let result;
          try {
            result = await evaluateTask({
              task: task.name,
              queries: options.queries,
              long: options.long,
              revision: options.revision,
              dataDir: options.dataDir,
              signal,
              retriever,
              depth: options.topK,
              measures: DEFAULT_MEASURES,
            });
          } catch (error) {
            // this shard's slice is cached; the run that completes the last shard scores the task
            if (!(error instanceof HarnessError && error.code === 'shard.pending')) throw error;
            log.info(`${task.name}: ${error.message}`);
            pending.push(task.name);
            continue;
          }
          const setting: EvalSetting = { ...baseSetting, retrieverParameters: retriever.parameters };
          await writeTaskResults(outDir, result, setting, DEFAULT_MEASURES);
          summary.dataset.revision = result.loaded.revision;
          summary.tasks[task.name] = { num_queries: result.evaluation.queryOrder.length, aggregate: result.evaluation.aggregate };
          await writeSummary(outDir, summary);
          log.info(`${task.name}: ${headline.name} ${(100 * (result.evaluation.aggregate[headline.name] ?? 0)).toFixed(2)}`);
        }
      } catch (error) {
        // leave no empty results folder behind; rmdir refuses a folder that holds finished tasks
        await fs.rmdir(outDir).catch(() => undefined);
        throw error;
      }
      if (Object.keys(summary.tasks).length === 0) {
        log.info(`shard ${options.shard?.index}/${options.shard?.count} encoded; ${pending.join(', ')} will be scored by the run that completes the last shard`);
        return;
      }
      if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(`${await renderEvalTables(outDir, summary)}\n`);
    });
}

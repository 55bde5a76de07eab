import type { Command } from '@commander-js/extra-typings';
import type { CorpusIds } from '../../core/corpus-ids.js';
import { dataError, usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { Qrels } from '../../core/types.js';
import type { Run } from '../../eval/ranked-list.js';
import { DEFAULT_DATASET } from '../../dataset/registry.js';
import { parseDatasetOption } from '../../dataset/datasets.js';
import { DEFAULT_MEASURES, parseMeasure, parseMeasureList, type Measure } from '../../eval/measure.js';
import type { ScorableRun } from '../../eval/ranking.js';
import type { CommandContext } from '../program.js';

interface Judged {
  run: ScorableRun;
  qrels: Qrels;
  /** The measure to call out (BRIGHT's headline), when scoring against a task. */
  headline?: Measure;
}

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('score')
    .description('score a run (TREC or BRIGHT score.json) with trec_eval 9.0.8 / pytrec_eval semantics, as BRIGHT does')
    .requiredOption('--run <file>', 'run file: TREC "qid Q0 docid rank score tag" or score.json {qid: {docid: score}} (.gz ok)')
    .option('--qrels <file>', 'TREC qrels file "qid 0 docid relevance"')
    .option('-t, --task <task>', 'judge with a BRIGHT task instead of --qrels: gold ids as qrels, excluded ids removed from the run (lists are not cut to 1000)')
    .option('--long', 'with --task: gold_ids_long (long-document setting, headline Recall@1)', false)
    .option('--revision <rev>', 'with --task: dataset revision (40-hex commit or branch)', DEFAULT_DATASET.revision)
    .option('--dataset <repo[@rev]>', 'with --task: another dataset with BRIGHT\'s layout and schema (mteb/BRIGHT, a fork)')
    .option('--data-dir <dir>', 'with --task: read the parquet files from this folder (Hugging Face layout)')
    .option('-m, --measures <list>', 'comma-separated measures in BRIGHT, ir_measures or trec_eval spelling, e.g. nDCG@10,R@1000,AP@100,RR@10,Success@5,Judged@10 or ndcg_cut.1,5,10; outputs use the names given (default: BRIGHT\'s 25)')
    .option('--per-query', 'also print one row per query', false)
    .option('--all-queries', 'count judged queries missing from the run as 0 (trec_eval -c); default: average over queries in both (pytrec_eval, BRIGHT)', false)
    .option('--strict', 'with --task: exit 3 (instead of a warning) when fewer than half of the run\'s document ids are in the task\'s corpus', false)
    .option('--json', 'print {"aggregate": {...}, "per_query": {...}} at full precision instead of tables', false)
    .option('-o, --out <dir>', 'also write results.json (BRIGHT\'s file), metrics.json and per_query.tsv to this folder')
    .addHelpText(
      'after',
      '\nRanking follows trec_eval 9.0.8: scores compared as float32, ties by docid descending; the rank column is ignored\nand runs are not cut at 1000. Exit codes: 0 ok, 2 usage, 3 unreadable or malformed input.',
    )
    .action(async (options) => {
      if ((options.qrels === undefined) === (options.task === undefined)) {
        throw usageError('score_judgments', 'give exactly one of --qrels FILE or --task NAME');
      }
      if (options.task === undefined && (options.long || options.dataDir !== undefined || options.revision !== DEFAULT_DATASET.revision || options.dataset !== undefined)) {
        throw usageError('score_task_option', '--long, --revision, --dataset and --data-dir only apply with --task');
      }
      if (options.strict && options.task === undefined) throw usageError('score_task_option', '--strict only applies with --task');
      const measures = options.measures === undefined ? [...DEFAULT_MEASURES] : parseMeasureList(options.measures);
      // the implementation loads when the command runs: help and other commands never load it
      // (the writers only with --out or --json)
      const [{ evaluate }, { formatAggregateTable, formatPerQueryTable }, resultsFiles] = await Promise.all([
        import('../../eval/evaluate.js'),
        import('../../eval/evaluation-table.js'),
        options.out !== undefined || options.json ? import('../../eval/results-files.js') : undefined,
      ]);
      if (options.out !== undefined) {
        const { checkWritableDirectory } = await import('../../core/directories.js');
        await checkWritableDirectory(options.out, 'the output folder (--out)');
      }
      const judged = options.task === undefined ? await fromQrelsFile(options.run, options.qrels!) : await fromTask(options.run, options.task, options, io.signal);

      const evaluation = evaluate(judged.run, judged.qrels, measures, { allQueries: options.allQueries });
      reportCoverage(judged.run, judged.qrels, evaluation.queryOrder.length, options.allQueries);
      if (evaluation.queryOrder.length === 0) {
        const runIds = [...judged.run.keys()].slice(0, 3).join(', ');
        const judgedIds = [...judged.qrels.keys()].slice(0, 3).join(', ');
        throw dataError('score_no_overlap', `no query of the run is judged (run queries: ${runIds || 'none'}; judged queries: ${judgedIds || 'none'}); check that the run and the qrels belong to the same task`);
      }
      if (options.out !== undefined) await resultsFiles!.writeEvaluationFiles(options.out, evaluation, measures);

      if (options.json) {
        io.stdout.write(resultsFiles!.formatMetricsJson(evaluation, measures));
        return;
      }
      let text = formatAggregateTable(evaluation, measures);
      // the headline under whatever spelling it was asked for (nDCG@10, ndcg_cut_10)
      const headline = judged.headline && measures.find((measure) => measure.key === judged.headline!.key);
      if (headline) {
        text = `${headline.name} x 100 = ${(evaluation.aggregate[headline.name]! * 100).toFixed(1)} (BRIGHT's headline)\n${text}`;
      }
      if (options.perQuery) text += `\n${formatPerQueryTable(evaluation, measures)}`;
      io.stdout.write(text);
    });
}

async function fromQrelsFile(runPath: string, qrelsPath: string): Promise<Judged> {
  const [{ readRunForScoring }, { readQrelsFile }] = await Promise.all([import('../../eval/run-file.js'), import('../../eval/trec-qrels.js')]);
  const [run, qrels] = await Promise.all([readRunForScoring(runPath), readQrelsFile(qrelsPath)]);
  return { run, qrels };
}

/**
 * Judges the run as BRIGHT's run.py would: qrels {gold_id: 1} from the task's examples and the query's excluded ids
 * removed first. A run longer than 1000 per query is kept whole (trec_eval does not cut; BRIGHT's own runs are
 * already 1000 long), so scoring an official score.json gives the official numbers.
 */
async function fromTask(runPath: string, task: string, options: { long: boolean; revision: string; dataset?: string; dataDir?: string; strict: boolean }, signal: AbortSignal): Promise<Judged> {
  const dataset = options.dataset === undefined ? undefined : parseDatasetOption(options.dataset);
  if (dataset?.warning) log.warn(dataset.warning);
  // the parquet reader is loaded only here: scoring against a qrels file never needs it
  const [{ loadTask }, { readRunFile }, { qrelsFromQueries, removeExcludedIds }] = await Promise.all([
    import('../../dataset/load-task.js'),
    import('../../eval/run-file.js'),
    import('../../eval/build-run.js'),
  ]);
  const [rawRun, loaded] = await Promise.all([
    readRunFile(runPath),
    // the corpus is read for its ids only: excluded ids must exist in it, as BRIGHT's run.py requires
    loadTask({ task, long: options.long, revision: dataset?.revision ?? options.revision, ...(dataset ? { repo: dataset.repo } : {}), dataDir: options.dataDir, queries: 'original', signal }),
  ]);
  checkCorpusCoverage(rawRun, loaded.corpus.ids, `${task}${options.long ? ' (long documents)' : ''}`, options.strict);
  const { run, removed } = removeExcludedIds(rawRun, loaded.queries);
  if (removed > 0) log.warn(`${removed} excluded document(s) removed from the run before scoring (BRIGHT removes excluded ids before ranking)`);
  return { run, qrels: qrelsFromQueries(loaded.queries, options.long), headline: parseMeasure(options.long ? 'Recall@1' : 'NDCG@10') };
}

/**
 * A run of another task (or of the other document setting) scores near 0 without any error: its documents are simply
 * not in this corpus. Fewer than half of its distinct document ids in the corpus is taken as that mistake.
 */
function checkCorpusCoverage(run: Run, corpus: CorpusIds, what: string, strict: boolean): void {
  const documents = new Set<string>();
  for (const ranked of run.values()) for (let i = 0; i < ranked.length; i++) documents.add(ranked.docId(i));
  let found = 0;
  for (const id of documents) if (corpus.has(id)) found++;
  if (documents.size === 0 || found * 2 >= documents.size) return;
  const message = `only ${found} of the run's ${documents.size} document ids are in the ${what} corpus: is this a run of another task or of the ${what.includes('long') ? 'short' : 'long'}-document setting?`;
  if (strict) throw dataError('score_foreign_run', `${message} (--strict)`);
  log.warn(`${message} Scores below count those documents as irrelevant; --strict makes this an error (exit 3)`);
}

/** pytrec_eval skips unmatched queries silently; say how many, on stderr. */
function reportCoverage(run: ScorableRun, qrels: Qrels, evaluated: number, allQueries: boolean): void {
  const runOnly = [...run.keys()].filter((id) => !qrels.has(id)).length;
  const judgedOnly = [...qrels.keys()].filter((id) => !run.has(id)).length;
  const notes: string[] = [];
  if (runOnly > 0) notes.push(`${runOnly} run queries without judgments skipped`);
  if (judgedOnly > 0) notes.push(`${judgedOnly} judged queries missing from the run ${allQueries ? 'counted as 0' : 'skipped (use --all-queries to count them as 0)'}`);
  log.info(`${evaluated} queries evaluated${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`);
}

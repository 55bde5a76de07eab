import { Option, type Command } from '@commander-js/extra-typings';
import { usageError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { TokenCounter } from '../../rerank/prompt-guard.js';
import type { RerankFamily } from '../../rerank/run-rerank.js';
import type { CommandContext } from '../program.js';
import { terminalWidth } from '../terminal-width.js';
import { parseNonNegativeInteger, parsePositiveInteger, parsePositiveNumber, parseSeed } from '../parse-options.js';

/** ReasonIR's vLLM `max_model_len`, the context assumed when the server does not report its own. */
const REASONIR_MAX_MODEL_LEN = 16384;
const RERANK_FAMILIES = ['qwen-rerank', 'bright-listwise'] as const satisfies readonly RerankFamily[];

export function register(program: Command, { io, argv }: CommandContext): void {
  program
    .command('rerank')
    .description('rerank a results folder\'s top documents with an LLM on an OpenAI-compatible server (ReasonIR\'s QwenRerank or BRIGHT\'s listwise reranking)')
    .argument('<results-dir>', 'a folder written by `reasonir eval` (its tasks\' score.json are the candidates)')
    .option('--endpoint <url>', 'server base URL, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL)')
    .requiredOption('--model <name>', 'model name as the server serves it, e.g. Qwen/Qwen2.5-32B-Instruct')
    .addOption(new Option('--family <family>', 'prompt family').choices(RERANK_FAMILIES).default('qwen-rerank' as RerankFamily))
    .addOption(new Option('--api <api>', 'completions (raw prompt, no chat template) or chat; default: completions for qwen-rerank, chat for bright-listwise').choices(['completions', 'chat'] as const))
    .option('--top-k <n>', 'documents taken from the run per query (ReasonIR --input_k)', parsePositiveInteger, 100)
    .option('--k <n>', 'documents kept per query after reranking (ReasonIR --k; default: --top-k)', parsePositiveInteger)
    .option('--seed <n>', 'seed sent with every request ("none" to send none)', parseSeed, 42 as number | null)
    .option('--concurrency <n>', 'requests in flight at once', parsePositiveInteger, 8)
    .option('--timeout <seconds>', 'per-request time limit', parsePositiveNumber, 300)
    .option('--retries <n>', 'retries on 429, 5xx, timeouts and dropped connections (backoff doubles, Retry-After honoured)', parseNonNegativeInteger, 5)
    .option('--max-model-len <n>', `the model's context in tokens: longer prompts get their document cut (default: the server's, else ${REASONIR_MAX_MODEL_LEN})`, parsePositiveInteger)
    .option('--tokenizer <dir>', 'count prompt tokens with this tokenizer.json + tokenizer_config.json folder instead of the server\'s /tokenize')
    .option('--no-cache', 'neither read nor write the response cache ($REASONIR_CACHE/llm)')
    .option('-o, --out <dir>', 'output folder (default: results/<input>-rerank-<model>-<date>)')
    .option('--bm25 <results-dir>', 'qwen-rerank: also write ReasonIR\'s 100·reranker + BM25 run to <out>/reranker-bm25 (a BM25 run scoring every candidate: eval --retriever bm25 --top-k all)')
    .option('--revision <rev>', 'dataset revision (default: the one the run used)')
    .option('--data-dir <dir>', 'read the parquet files from this folder (Hugging Face layout)')
    .option('--json', 'print summary.json on stdout instead of the table', false)
    .addHelpText(
      'after',
      '\nqwen-rerank writes the interpolated run (0.5 reranker + 0.5 retriever) in --out and the reranker-only run in\n' +
        '--out/reranker-only. OPENAI_API_KEY is sent as a bearer token and never printed or written. Answers are cached\n' +
        'by prompt, model, parameters and seed: an interrupted rerank resumes and a rerun sends nothing.\n' +
        'Exit codes: 0 ok, 2 usage (bad flags, unknown model, depth larger than the run), 3 data or server problems.',
    )
    .action(async (input, options) => {
      const api = options.api ?? (options.family === 'bright-listwise' ? 'chat' : 'completions');
      if (options.family === 'bright-listwise' && api !== 'chat') throw usageError('rerank_api', 'bright-listwise sends chat messages (system + user): use --api chat');
      const k = options.k ?? options.topK;
      if (k > options.topK) throw usageError('rerank_k', `--k ${k} keeps more documents than --top-k ${options.topK} reranks`);
      // the implementation loads when the command runs: help and other commands never load it
      const [{ setUpLlm }, { renderEvalTables }, { localTokenCounter, serverTokenCounter }, { runRerank }] = await Promise.all([
        import('../../llm/client-options.js'),
        import('../../pipeline/eval-table.js'),
        import('../../rerank/prompt-guard.js'),
        import('../../rerank/run-rerank.js'),
      ]);
      const signal = io.signal;
      const llm = setUpLlm(options, signal, io.env);
      let guard: { counter: TokenCounter | null; maxModelLen: number | null } = { counter: null, maxModelLen: null };
      if (options.family === 'qwen-rerank') {
        const server = options.tokenizer === undefined ? await serverTokenCounter(llm.client) : null;
        const counter = options.tokenizer !== undefined ? await localTokenCounter(options.tokenizer) : (server?.counter ?? null);
        guard = { counter, maxModelLen: counter === null ? null : (options.maxModelLen ?? server?.maxModelLen ?? REASONIR_MAX_MODEL_LEN) };
        if (counter === null) log.warn('prompt lengths are not checked (the server has no /tokenize route): pass --tokenizer DIR so documents longer than the model\'s context are cut instead of rejected');
      }
      const outcome = await runRerank({
        input,
        family: options.family,
        client: llm.client,
        endpointLabel: llm.endpointLabel,
        model: options.model,
        api,
        topK: options.topK,
        k,
        seed: options.seed,
        concurrency: options.concurrency,
        cache: llm.cache,
        guard,
        out: options.out,
        bm25: options.bm25,
        revision: options.revision,
        dataDir: options.dataDir,
        argv: [...argv],
        signal,
        retries: llm.retries,
      });
      const { usage } = outcome;
      log.info(`${usage.requests} requests: ${usage.sent} sent, ${usage.cached} cached, ${usage.retries} retries; ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens sent`);
      if (options.json) io.stdout.write(`${JSON.stringify(outcome.summary, null, 2)}\n`);
      else io.stdout.write(`${await renderEvalTables(outcome.outDir, outcome.summary, terminalWidth())}\n`);
    });
}

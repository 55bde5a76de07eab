import type { Command } from '@commander-js/extra-typings';
import { checkQueriesTemplate } from '../../dataset/queries-file.js';
import { parseTaskList } from '../../dataset/registry.js';
import { parseNonNegativeInteger, parsePositiveInteger, parsePositiveNumber, parseSeed } from '../parse-options.js';
import type { CommandContext } from '../program.js';

/** reason.py's max_tokens (OpenAIModel), the default output limit. */
const BRIGHT_REASON_MAX_TOKENS = 2048;

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('reason')
    .description('write LLM reasoning queries (BRIGHT\'s reason.py prompt) on an OpenAI-compatible chat server, for `eval --queries FILE`')
    .requiredOption('-t, --task <tasks>', 'task name(s), comma separated, or "all"')
    .option('--endpoint <url>', 'server base URL, e.g. http://localhost:8000/v1 (default: $OPENAI_BASE_URL)')
    .requiredOption('--model <name>', 'model name as the server serves it')
    .option('--max-tokens <n>', 'output token limit (reason.py: 2048; ReasonIR\'s query rewriting: its --output_token_limit)', parsePositiveInteger, BRIGHT_REASON_MAX_TOKENS)
    .option('--seed <n>', 'seed sent with every request ("none" to send none)', parseSeed, 42 as number | null)
    .option('--concurrency <n>', 'requests in flight at once', parsePositiveInteger, 8)
    .option('--timeout <seconds>', 'per-request time limit', parsePositiveNumber, 300)
    .option('--retries <n>', 'retries on 429, 5xx, timeouts and dropped connections', parseNonNegativeInteger, 5)
    .option('--no-cache', 'neither read nor write the response cache ($REASONIR_CACHE/llm)')
    .option('-o, --out <file>', 'queries file; {task} is the task name', 'results/queries/{task}.json')
    .option('--revision <rev>', 'dataset revision of the original queries')
    .option('--data-dir <dir>', 'read the parquet files from this folder (Hugging Face layout)')
    .addHelpText(
      'after',
      '\nEach query (newlines as spaces) is sent with reason.py\'s three instructions and system message, temperature 0.8,\n' +
        'top_p 0.8. The file ({"format": "reasonir-queries/1", "task", "source", "queries": [{"id", "query"}]}) records the\n' +
        'model, endpoint, parameters, seed and token counts. Answers are cached: an interrupted run resumes.',
    )
    .action(async (options) => {
      const tasks = parseTaskList(options.task);
      checkQueriesTemplate(options.out, tasks.length, '--out');
      const [{ setUpLlm }, { runReason }] = await Promise.all([import('../../llm/client-options.js'), import('../../reason/run-reason.js')]);
      const llm = setUpLlm(options, io.signal, io.env);
      await runReason({
        tasks,
        client: llm.client,
        endpointLabel: llm.endpointLabel,
        model: options.model,
        maxTokens: options.maxTokens,
        seed: options.seed,
        concurrency: options.concurrency,
        cache: llm.cache,
        out: options.out,
        revision: options.revision,
        dataDir: options.dataDir,
        signal: io.signal,
        retries: llm.retries,
      });
    });
}

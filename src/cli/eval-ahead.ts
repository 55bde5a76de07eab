import type { Worker } from 'node:worker_threads';

/** The program's own options (program.ts), which take no value and may come before the command. */
const GLOBAL_FLAGS = ['-q', '--quiet', '--no-progress'];

/**
 * Starts BM25's first analysis worker for a `reasonir eval` process before its command line is parsed (main.ts):
 * commander, the command and eval's own start then load (~40 ms of the main thread's CPU) while the worker boots on
 * the otherwise idle core, where the retriever's prefetch (pipeline/first-corpus.ts) would start it only after them.
 * Read from the raw arguments: the command (after the program's own flags, if any), BM25 as the retriever (the
 * default; any other spelling of -r/--retriever than bm25, or a short-option cluster holding r: no early start), no
 * --resume and no help; startWorkerAhead then starts it only where no BM25 index is cached. A guess that proves
 * wrong costs one worker's boot on the idle core: the worker is unreferenced and never keeps the process alive, and
 * BM25's index stage stops it if nothing took it. Runs in-process (runCli: tests, library callers) start none.
 * Resolves to the worker started, or null; BM25's modules load only for a BM25 eval.
 */
export async function startEvalWorkerAhead(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Worker | null> {
  let command = 0;
  while (GLOBAL_FLAGS.includes(argv[command]!)) command++;
  if (argv[command] !== 'eval') return null;
  for (let i = command + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '-h' || arg === '--help' || arg === '--resume' || arg.startsWith('--resume=')) return null;
    if (arg === '-r' || arg === '--retriever') {
      if (argv[i + 1] !== 'bm25') return null;
      i++;
    } else if (arg.startsWith('--retriever=')) {
      if (arg !== '--retriever=bm25') return null;
    } else if (/^-[^-]/.test(arg) && arg.includes('r')) {
      return null;
    }
  }
  const [{ startWorkerAhead }, { reasonirCacheDir }] = await Promise.all([import('../retrieval/bm25/analysis-workers.js'), import('../core/cache-dir.js')]);
  return startWorkerAhead(reasonirCacheDir(env));
}

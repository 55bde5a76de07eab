import { Command, CommanderError } from '@commander-js/extra-typings';
import { ExitCode } from '../core/errors.js';
import type { RunContext } from '../core/run-context.js';
import { packageVersion } from '../core/version.js';
import { parseHubEndpoint } from '../dataset/hub-endpoint.js';
import type { CliIo } from './cli-io.js';

/** What a command's register() gets besides the program: the run's streams, env and signal, and its argv. */
export interface CommandContext {
  io: CliIo;
  /** The arguments this run was given (recorded in provenance). */
  argv: readonly string[];
}

type Registrar = (program: Command, context: CommandContext) => void;

/**
 * Each command lives in cli/commands/<name>.ts and adds itself to the program; listed in help order. Modules are
 * imported on demand: loading every command's dependencies (parquet, onnxruntime, tokenizers) took most of the
 * time of a short command such as `--version` or `score`.
 */
const commandModules: Record<string, () => Promise<{ register: Registrar }>> = {
  tasks: () => import('./commands/tasks.js'),
  download: () => import('./commands/download.js'),
  score: () => import('./commands/score.js'),
  analyze: () => import('./commands/analyze.js'),
  eval: () => import('./commands/eval.js'),
  encode: () => import('./commands/encode.js'),
  table: () => import('./commands/table.js'),
  compare: () => import('./commands/compare.js'),
  check: () => import('./commands/check.js'),
  report: () => import('./commands/report.js'),
  rerank: () => import('./commands/rerank.js'),
  fuse: () => import('./commands/fuse.js'),
  export: () => import('./commands/export.js'),
  reason: () => import('./commands/reason.js'),
};

/**
 * The commands a run needs defined: the one it names (global options take no values, so that is the first
 * argument not starting with "-"), none for a bare --version, and all of them for help, a bare program name or an
 * unknown command (help lists them; commander suggests the nearest name).
 */
function commandsFor(argv: readonly string[]): string[] {
  const named = argv.find((arg) => !arg.startsWith('-'));
  if (named !== undefined && Object.hasOwn(commandModules, named)) return [named];
  if (named === undefined && argv.some((arg) => arg === '-V' || arg === '--version') && !argv.some((arg) => arg === '-h' || arg === '--help')) return [];
  return Object.keys(commandModules);
}

/** A fresh program per run; `run` receives the global --quiet / --no-progress before any action starts. */
export async function createProgram(io: CliIo, run: RunContext, argv: readonly string[]): Promise<Command> {
  const program = new Command('reasonir')
    .description('Exact, reproducible BRIGHT evaluation: BM25 and ONNX dense retrieval, trec_eval-exact scores')
    .version(packageVersion(), '-V, --version')
    .option('--no-progress', 'disable progress bars (they are already off when stderr is not a terminal)')
    .option('-q, --quiet', 'no progress, notes or warnings on stderr; errors only')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (text) => io.stderr.write(text), writeOut: (text) => io.stdout.write(text) })
    .hook('preAction', (root) => {
      const options = root.opts();
      run.progress = options.progress !== false;
      run.quiet = options.quiet === true;
      // a malformed HF_ENDPOINT is a usage error before any work, not a failure halfway through a run
      parseHubEndpoint(io.env.HF_ENDPOINT);
    });
  const modules = await Promise.all(commandsFor(argv).map((name) => commandModules[name]!()));
  for (const { register } of modules) register(program, { io, argv });
  return program;
}

/** Turns commander's own errors (unknown option, missing argument, --help) into harness exit codes. */
export function commanderExitCode(error: CommanderError): ExitCode {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
    return ExitCode.ok;
  }
  return ExitCode.usage;
}

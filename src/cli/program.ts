import { Command, CommanderError } from '@commander-js/extra-typings';
import { ExitCode } from '../core/errors.js';
import type { RunContext } from '../core/run-context.js';
import { packageVersion } from '../core/version.js';
import { parseHubEndpoint } from '../dataset/hub-endpoint.js';
import type { CliIo } from './cli-io.js';
import { register as registerTasks } from './commands/tasks.js';
import { register as registerDownload } from './commands/download.js';
import { register as registerScore } from './commands/score.js';
import { register as registerAnalyze } from './commands/analyze.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerTable } from './commands/table.js';
import { register as registerCompare } from './commands/compare.js';
import { register as registerCheck } from './commands/check.js';
import { register as registerReport } from './commands/report.js';
import { register as registerRerank } from './commands/rerank.js';
import { register as registerFuse } from './commands/fuse.js';
import { register as registerExport } from './commands/export.js';
import { register as registerReason } from './commands/reason.js';

/** What a command's register() gets besides the program: the run's streams, env and signal, and its argv. */
export interface CommandContext {
  io: CliIo;
  /** The arguments this run was given (recorded in provenance). */
  argv: readonly string[];
}

/** Each command lives in cli/commands/<name>.ts and adds itself to the program. */
const registrars: Array<(program: Command, context: CommandContext) => void> = [
  registerTasks, registerDownload, registerScore, registerAnalyze, registerEval, registerTable, registerCompare, registerCheck, registerReport, registerRerank, registerFuse, registerExport, registerReason,
];

/** A fresh program per run; `run` receives the global --quiet / --no-progress before any action starts. */
export function createProgram(io: CliIo, run: RunContext, argv: readonly string[]): Command {
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
  for (const register of registrars) register(program, { io, argv });
  return program;
}

/** Turns commander's own errors (unknown option, missing argument, --help) into harness exit codes. */
export function commanderExitCode(error: CommanderError): ExitCode {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
    return ExitCode.ok;
  }
  return ExitCode.usage;
}

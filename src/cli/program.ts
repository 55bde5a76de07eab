import { Command, CommanderError } from '@commander-js/extra-typings';
import { setQuiet } from '../core/log.js';
import { setProgressEnabled } from '../core/progress.js';
import { ExitCode } from '../core/errors.js';
import { packageVersion } from '../core/version.js';
import { register as registerTasks } from './commands/tasks.js';
import { register as registerDownload } from './commands/download.js';
import { register as registerScore } from './commands/score.js';
import { register as registerAnalyze } from './commands/analyze.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerTable } from './commands/table.js';
import { register as registerCompare } from './commands/compare.js';
import { register as registerCheck } from './commands/check.js';
import { register as registerReport } from './commands/report.js';

/** Each command lives in cli/commands/<name>.ts and adds itself to the program. */
const registrars: Array<(program: Command) => void> = [
  registerTasks, registerDownload, registerScore, registerAnalyze, registerEval, registerTable, registerCompare, registerCheck, registerReport,
];

export function createProgram(): Command {
  const program = new Command('reasonir')
    .description('Exact, reproducible BRIGHT evaluation: BM25 and ONNX dense retrieval, trec_eval-exact scores')
    .version(packageVersion(), '-V, --version')
    .option('--no-progress', 'disable progress bars (they are already off when stderr is not a terminal)')
    .option('-q, --quiet', 'only warnings and errors on stderr')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text), writeOut: (text) => process.stdout.write(text) })
    .hook('preAction', (root) => {
      const options = root.opts();
      setProgressEnabled(options.progress !== false);
      setQuiet(options.quiet === true);
    });
  for (const register of registrars) register(program);
  return program;
}

/** Turns commander's own errors (unknown option, missing argument, --help) into harness exit codes. */
export function commanderExitCode(error: CommanderError): ExitCode {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
    return ExitCode.ok;
  }
  return ExitCode.usage;
}

import { InvalidArgumentError, Option, type Command } from '@commander-js/extra-typings';
import { usageError } from '../../core/errors.js';
import type { FusionMethod, Normalization } from '../../fusion/fuse-runs.js';
import { parsePositiveInteger } from '../parse-options.js';
import type { CommandContext } from '../program.js';
import { terminalWidth } from '../terminal-width.js';

function parseWeights(value: string): number[] {
  const weights = value.split(',').map((part) => Number(part.trim()));
  if (weights.some((weight) => !Number.isFinite(weight)) || value.trim() === '') throw new InvalidArgumentError('expected comma-separated numbers, e.g. 0.3,0.7.');
  return weights;
}

export function register(program: Command, { io, argv }: CommandContext): void {
  program
    .command('fuse')
    .description('fuse the runs of several results folders (reciprocal rank fusion or normalised score interpolation), as Pyserini/Anserini fuse runs')
    .argument('<results-dirs...>', 'two or more folders written by `reasonir eval` (or rerank / fuse)')
    .addOption(new Option('--method <method>', 'rrf: sum of 1/(k + rank); linear: weighted sum of normalised scores').choices(['rrf', 'linear'] as const).default('rrf' as FusionMethod))
    .option('--rrf-k <n>', 'RRF constant k', parsePositiveInteger, 60)
    .addOption(new Option('--normalization <kind>', 'linear: per-query score normalisation').choices(['minmax', 'z', 'none'] as const).default('minmax' as Normalization))
    .option('--weights <list>', 'linear: one weight per folder, comma-separated (default: 1/n each)', parseWeights)
    .option('--depth <n>', 'documents taken from each run per query', parsePositiveInteger, 1000)
    .option('-k, --top-k <n>', 'documents kept per fused query', parsePositiveInteger, 1000)
    .option('-o, --out <dir>', 'output folder (default: results/fusion-<method>-<date>)')
    .option('--revision <rev>', 'dataset revision for the judgments (default: the one the runs used)')
    .option('--data-dir <dir>', 'read the parquet files from this folder (Hugging Face layout)')
    .option('--json', 'print summary.json on stdout instead of the table', false)
    .addHelpText(
      'after',
      '\nEach run is put in trec_eval order first (score descending, ties by document id descending); a document missing\n' +
        'from a run adds nothing; fused ties are broken by document id descending, the order trec_eval scores them in.\n' +
        'minmax maps each query\'s scores to [0, 1] (all equal -> 1); z subtracts the mean and divides by the population\n' +
        'standard deviation (0 when it is 0). Exit codes: 0 ok, 2 usage, 3 unreadable input.',
    )
    .action(async (inputs, options) => {
      if (options.method === 'rrf' && (options.weights !== undefined || options.normalization !== 'minmax')) {
        throw usageError('fuse_options', '--weights and --normalization apply to --method linear');
      }
      const weights = options.weights ?? inputs.map(() => 1 / inputs.length);
      if (weights.length !== inputs.length) throw usageError('fuse_weights', `--weights has ${weights.length} values for ${inputs.length} folders`);
      // the implementation loads when the command runs: help and other commands never load it
      const [{ runFusion }, { renderEvalTables }] = await Promise.all([import('../../fusion/run-fusion.js'), import('../../pipeline/eval-table.js')]);
      const { outDir, summary } = await runFusion({
        inputs,
        options: { method: options.method, rrfK: options.rrfK, normalization: options.normalization, weights, depth: options.depth, k: options.topK },
        out: options.out,
        revision: options.revision,
        dataDir: options.dataDir,
        argv: [...argv],
        signal: io.signal,
      });
      if (options.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else io.stdout.write(`${await renderEvalTables(outDir, summary, terminalWidth())}\n`);
    });
}

import type { Command } from '@commander-js/extra-typings';
import { formatBytes } from '../../core/progress.js';
import { parseDatasetOption } from '../../dataset/datasets.js';
import { log } from '../../core/log.js';
import { DEFAULT_DATASET, parseConfigList, parseTaskList } from '../../dataset/registry.js';
import type { CommandContext } from '../program.js';

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('download')
    .description('fetch BRIGHT parquet files into the Hugging Face cache (HF_HUB_CACHE), verified against the registry')
    .requiredOption('-t, --task <tasks>', 'task name(s), comma separated, or "all"')
    .option('-c, --config <configs>', 'config(s), comma separated (default: every config the task has)')
    .option('--revision <rev>', 'dataset revision: 40-hex commit or branch name', DEFAULT_DATASET.revision)
    .option('--dataset <repo[@rev]>', 'another dataset with BRIGHT\'s layout and schema (mteb/BRIGHT, a fork); a known one defaults to its pinned revision')
    .option('--data-dir <dir>', 'also copy the files to this folder at their Hub paths (what --data-dir reads)')
    .option('--json', 'print the result as JSON', false)
    .action(async (options) => {
      const tasks = parseTaskList(options.task);
      const configs = options.config === undefined ? undefined : parseConfigList(options.config);
      const dataset = options.dataset === undefined ? undefined : parseDatasetOption(options.dataset);
      if (dataset?.warning) log.warn(dataset.warning);
      // the implementation loads when the command runs: help and other commands never load it
      const { downloadFiles } = await import('../../dataset/download.js');
      const result = await downloadFiles({ tasks, configs, revision: dataset?.revision ?? options.revision, ...(dataset ? { repo: dataset.repo } : {}), copyTo: options.dataDir, signal: io.signal });
      if (options.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      io.stdout.write(`# ${result.repo}@${result.revision}\n`);
      for (const file of result.files) {
        io.stdout.write(`${file.cached ? 'cached    ' : 'downloaded'}  ${file.path}  ${formatBytes(file.size)}  sha256:${file.sha256}\n`);
      }
    });
}

import type { Command } from '@commander-js/extra-typings';
import { DEFAULT_DATASET, listTasks } from '../../dataset/registry.js';
import type { CommandContext } from '../program.js';

function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('tasks')
    .description('list the 12 BRIGHT tasks (paper column order) with their groups and expected row counts')
    .option('--json', 'print the registry entries as JSON', false)
    .action((options) => {
      const tasks = listTasks();
      if (options.json) {
        io.stdout.write(`${JSON.stringify({ dataset: DEFAULT_DATASET, tasks }, null, 2)}\n`);
        return;
      }
      const header = ['task', 'group', 'long', 'queries', 'documents', 'long_documents'];
      const rows = tasks.map((task) => [
        task.name,
        task.group,
        task.hasLong ? 'yes' : 'no',
        count(task.rows.examples),
        count(task.rows.documents),
        count(task.rows.long_documents),
      ]);
      const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
      // names left-aligned, counts right-aligned
      const format = (row: string[]) => row.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
      io.stdout.write(`# ${DEFAULT_DATASET.repo}@${DEFAULT_DATASET.revision}\n${format(header)}\n`);
      for (const row of rows) io.stdout.write(`${format(row)}\n`);
    });
}

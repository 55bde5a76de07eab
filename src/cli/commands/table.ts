import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `table`): replace with the real command.
export function register(program: Command): void {
  program.command('table').description('not yet implemented');
}

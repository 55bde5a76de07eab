import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `report`): replace with the real command.
export function register(program: Command): void {
  program.command('report').description('not yet implemented');
}

import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `download`): replace with the real command.
export function register(program: Command): void {
  program.command('download').description('not yet implemented');
}

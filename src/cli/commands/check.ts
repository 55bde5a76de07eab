import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `check`): replace with the real command.
export function register(program: Command): void {
  program.command('check').description('not yet implemented');
}

import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `score`): replace with the real command.
export function register(program: Command): void {
  program.command('score').description('not yet implemented');
}

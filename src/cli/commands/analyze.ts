import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `analyze`): replace with the real command.
export function register(program: Command): void {
  program.command('analyze').description('not yet implemented');
}

import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `compare`): replace with the real command.
export function register(program: Command): void {
  program.command('compare').description('not yet implemented');
}

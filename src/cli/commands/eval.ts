import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `eval`): replace with the real command.
export function register(program: Command): void {
  program.command('eval').description('not yet implemented');
}

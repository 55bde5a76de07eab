import type { Command } from '@commander-js/extra-typings';

// TODO(owner of `tasks`): replace with the real command.
export function register(program: Command): void {
  program.command('tasks').description('not yet implemented');
}

import { InvalidArgumentError } from '@commander-js/extra-typings';

/** Option parsers shared by commands; commander reports their errors as usage errors (exit 2). */
export function parsePositiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(value);
}

export function parseDepth(value: string): number | 'all' {
  return value === 'all' ? 'all' : parsePositiveInteger(value);
}

/** `i/n` with 0 <= i < n. */
export function parseShard(value: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) throw new InvalidArgumentError('expected i/n with 0 <= i < n, e.g. 0/4.');
  return { index, count };
}

export function parseNonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(value);
}

export function parsePositiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number.');
  return number;
}

/** An integer seed sent with every request, or `none` to send no seed. */
export function parseSeed(value: string): number | null {
  if (value === 'none') return null;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected an integer or "none".');
  return Number(value);
}

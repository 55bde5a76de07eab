import type { Command } from '@commander-js/extra-typings';
import { once } from 'node:events';
import { dataError, throwIfAborted } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { analyze, ANALYZER_VERSION } from '../../retrieval/analyzer/analyze.js';
import type { OutputStream } from '../../core/run-context.js';
import type { CliIo } from '../cli-io.js';
import type { CommandContext } from '../program.js';

export function register(program: Command, { io }: CommandContext): void {
  program
    .command('analyze')
    .description("print the tokens of BRIGHT's BM25 analyzer (pyserini's default Lucene English analyzer) for each line of stdin")
    .option('--json', 'each input line is one JSON string (for texts with newlines, tabs or \\r)', false)
    .addHelpText(
      'after',
      `\nOutput: one JSON array of tokens per input line, in order, e.g. ["user","cat","run"].\nAnalyzer: ${ANALYZER_VERSION} (StandardTokenizer, possessive, lowercase, stop words, Porter).\nWithout --json a line is taken as-is, minus its line break (\\n or \\r\\n).\nExit codes: 0 ok, 2 usage, 3 a --json line that is not a JSON string.`,
    )
    .action(async (options) => {
      const signal = io.signal;
      if (io.stdin.isTTY) log.info('reading texts from stdin, one per line (Ctrl-D to finish)');
      let lineNumber = 0;
      let pending = '';
      try {
        for await (const line of stdinLines(io.stdin)) {
          throwIfAborted(signal);
          lineNumber++;
          const text = options.json ? parseJsonText(line, lineNumber) : line;
          pending += `${JSON.stringify(analyze(text))}\n`;
          if (pending.length >= 1 << 16) {
            await write(io.stdout, pending);
            pending = '';
          }
        }
      } finally {
        // the lines analyzed before a bad one are still printed
        await write(io.stdout, pending);
      }
    });
}

function parseJsonText(line: string, lineNumber: number): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw dataError('analyze_json', `stdin line ${lineNumber} is not valid JSON (${(error as Error).message}); with --json every line must be one JSON string, e.g. "some text"`);
  }
  if (typeof value !== 'string') {
    throw dataError('analyze_json', `stdin line ${lineNumber} is JSON ${value === null ? 'null' : typeof value}, not a string; with --json every line must be one JSON string, e.g. "some text"`);
  }
  return value;
}

/**
 * stdin split at \n only, minus one trailing \r per line. (node:readline also ends a line at a lone \r, which
 * would split one text into two output lines and misalign a diff against pyserini.)
 */
async function* stdinLines(stdin: CliIo['stdin']): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stdin.setEncoding('utf8') as AsyncIterable<string>) {
    if (!chunk.includes('\n')) {
      rest += chunk; // a long line is only split (flattened) once its end arrives
      continue;
    }
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) yield withoutTrailingCr(line);
  }
  if (rest.length > 0) yield withoutTrailingCr(rest);
}

function withoutTrailingCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

async function write(stdout: OutputStream, text: string): Promise<void> {
  if (text.length > 0 && !stdout.write(text)) await once(stdout, 'drain');
}

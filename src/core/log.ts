/** Logs and warnings go to stderr; stdout is reserved for results. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

let quiet = false;

export function setQuiet(value: boolean): void {
  quiet = value;
}

export const log: Logger = {
  info(message) {
    if (!quiet) process.stderr.write(`${message}\n`);
  },
  warn(message) {
    process.stderr.write(`warning: ${message}\n`);
  },
};

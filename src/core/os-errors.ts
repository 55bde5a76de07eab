/**
 * Operating-system errors are conditions of the machine, not bugs: each known errno becomes a HarnessError
 * (exit 3) that names the path and says what to do. Anything unknown stays an internal error (exit 70).
 */
import { environmentError, HarnessError } from './errors.js';

const LOCATIONS = 'or point reasonir elsewhere (--out, REASONIR_CACHE, HF_HUB_CACHE / HF_HOME)';

const KNOWN: Record<string, (where: string) => string> = {
  EACCES: (where) => `permission denied on ${where}; fix its permissions (or its folder's) ${LOCATIONS}`,
  EPERM: (where) => `operation not permitted on ${where}; fix its permissions or ownership ${LOCATIONS}`,
  ENOSPC: (where) => `no space left on the device holding ${where}; free some space ${LOCATIONS}`,
  EDQUOT: (where) => `disk quota exceeded writing ${where}; free some space ${LOCATIONS}`,
  EROFS: (where) => `${where} is on a read-only file system; ${LOCATIONS.replace(/^or /, '')}`,
  ENOTDIR: (where) => `a part of ${where} is a file, not a folder; rename or remove that file, or choose another path`,
  EISDIR: (where) => `${where} is a folder where a file is expected; remove or rename that folder, or choose another path`,
  EEXIST: (where) => `${where} already exists; remove it or choose another path`,
  ENOTEMPTY: (where) => `${where} is a folder that is not empty; remove it or choose another path`,
  EMFILE: (where) => `too many open files in this process (at ${where}); raise the limit (ulimit -n 4096) or run fewer tasks at once`,
  ENFILE: (where) => `too many open files on this system (at ${where}); raise the system limit or run fewer processes at once`,
  ENAMETOOLONG: (where) => `the path ${where} is too long for the file system; choose a shorter path`,
  ELOOP: (where) => `${where} goes through a symbolic-link loop; fix the links or choose another path`,
  EIO: (where) => `input/output error on ${where}; the disk or network file system failed, check it and run again`,
};

/** The HarnessError for an errno-carrying error, or undefined when it is not an operating-system condition we know. */
export function classifyOsError(error: unknown, what?: string): HarnessError | undefined {
  if (error instanceof HarnessError || !(error instanceof Error)) return undefined;
  const { code, path: file, dest } = error as NodeJS.ErrnoException & { dest?: string };
  if (typeof code !== 'string' || !(code in KNOWN)) return undefined;
  const where = file ? (dest ? `${file} -> ${dest}` : file) : 'a file';
  return environmentError(`os.${code.toLowerCase()}`, `${what ? `${what}: ` : ''}${code}: ${KNOWN[code]!(where)}`, error);
}

/**
 * Python's posixpath.expanduser and posixpath.expandvars, so environment paths shared with Python tools
 * (HF_HOME='~/hf', XDG_CACHE_HOME='$SCRATCH/cache') name the same folder on both sides.
 */
import os from 'node:os';
import { runEnv } from './run-context.js';

/** `~` and `~/x` become the home folder (HOME, else the account's); `~name` only for the current account, else unchanged. */
export function expandUser(value: string, env: NodeJS.ProcessEnv = runEnv()): string {
  if (!value.startsWith('~')) return value;
  const slash = value.indexOf('/', 1);
  const end = slash < 0 ? value.length : slash;
  let home: string;
  if (end === 1) {
    home = env.HOME ?? os.userInfo().homedir;
  } else {
    // Python looks the name up in the password database; Node can only ask about the current account
    const account = os.userInfo();
    if (value.slice(1, end) !== account.username) return value;
    home = account.homedir;
  }
  home = home.replace(/\/+$/, '');
  return home + value.slice(end) || '/';
}

/** `$NAME` and `${NAME}` replaced from the environment; unknown names are left as written, as Python does. */
export function expandVars(value: string, env: NodeJS.ProcessEnv = runEnv()): string {
  if (!value.includes('$')) return value;
  return value.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const replacement = env[key];
    return replacement === undefined ? whole : replacement;
  });
}

/** posixpath.join: no normalisation, so `$X/..` survives until expandvars fills it in. */
export function joinPath(...parts: string[]): string {
  return parts.reduce((joined, part) => {
    if (part.startsWith('/')) return part;
    return joined === '' || joined.endsWith('/') ? joined + part : `${joined}/${part}`;
  });
}

/** os.path.expandvars(os.path.expanduser(value)): the order huggingface_hub's constants module applies them in. */
export function expandPath(value: string, env: NodeJS.ProcessEnv = runEnv()): string {
  return expandVars(expandUser(value, env), env);
}

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hfHome, hubCacheDir } from '../../src/dataset/hf-cache.js';
import { expandUser, expandVars, joinPath } from '../../src/core/python-path.js';
import { reasonirCacheDir } from '../../src/core/cache-dir.js';
import { spawnReasonir } from '../helpers/cli.js';
import { brightServer, fixtureCommit, ponyExamples, tempDir } from './support.js';

/**
 * Expected values printed by huggingface_hub 1.33.0 itself (constants.HF_HOME, constants.HF_HUB_CACHE after a reload),
 * with os.environ = {HOME, SCRATCH} + the case.
 */
const base = { HOME: '/home/u', SCRATCH: '/scratch/u' };
const cases: Array<[Record<string, string>, string, string]> = [
  [{}, '/home/u/.cache/huggingface', '/home/u/.cache/huggingface/hub'],
  [{ XDG_CACHE_HOME: '/xdg' }, '/xdg/huggingface', '/xdg/huggingface/hub'],
  [{ XDG_CACHE_HOME: '~/xdg' }, '/home/u/xdg/huggingface', '/home/u/xdg/huggingface/hub'],
  [{ XDG_CACHE_HOME: '$SCRATCH/c' }, '/scratch/u/c/huggingface', '/scratch/u/c/huggingface/hub'],
  [{ HF_HOME: '~/hh' }, '/home/u/hh', '/home/u/hh/hub'],
  [{ HF_HOME: '~' }, '/home/u', '/home/u/hub'],
  [{ HF_HOME: '~/hh/', XDG_CACHE_HOME: '/ignored' }, '/home/u/hh/', '/home/u/hh/hub'],
  [{ HF_HOME: '${SCRATCH}/hf' }, '/scratch/u/hf', '/scratch/u/hf/hub'],
  [{ HF_HOME: '$UNSET_VAR/hf' }, '$UNSET_VAR/hf', '$UNSET_VAR/hf/hub'],
  [{ HF_HOME: 'rel/hf' }, 'rel/hf', 'rel/hf/hub'],
  [{ HF_HOME: '$SCRATCH/../hf' }, '/scratch/u/../hf', '/scratch/u/../hf/hub'],
  [{ HF_HOME: '' }, '', 'hub'],
  [{ HUGGINGFACE_HUB_CACHE: '~/legacy', HF_HOME: '/h' }, '/h', '/home/u/legacy'],
  [{ HF_HUB_CACHE: '~/hub', HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/h' }, '/h', '/home/u/hub'],
  [{ HF_HUB_CACHE: '$HOME/x$SCRATCH', HF_HOME: '/h' }, '/h', '/home/u/x/scratch/u'],
  [{ HOME: '/home/u/', HF_HOME: '~/a' }, '/home/u/a', '/home/u/a/hub'],
  [{ HOME: '/', HF_HOME: '~' }, '/', '/hub'],
  [{ HF_HOME: '~nosuchuser/hf' }, '~nosuchuser/hf', '~nosuchuser/hf/hub'],
];

describe('HF_HOME / HF_HUB_CACHE / XDG_CACHE_HOME as huggingface_hub resolves them', () => {
  it.each(cases)('%j', (extra, home, hub) => {
    const env = { ...base, ...extra };
    expect(hfHome(env)).toBe(home);
    // Python keeps a relative path relative to the working folder; we hold it absolute from the start
    expect(hubCacheDir(env)).toBe(path.resolve(hub));
  });

  it('expands ~name for the current account only, as Python does for names it finds', () => {
    const account = os.userInfo();
    expect(expandUser(`~${account.username}/hf`, {})).toBe(`${account.homedir.replace(/\/+$/, '')}/hf`);
    expect(expandVars('$A$B ${A} $ $1x ${} $A_B', { A: 'a', B: 'b', '1x': 'n' })).toBe('ab a $ n ${} $A_B');
    expect(joinPath('a', '/b', 'c')).toBe('/b/c');
    expect(joinPath('', 'hub')).toBe('hub');
  });

  it('expands ~ in REASONIR_CACHE and XDG_CACHE_HOME for our own caches too', () => {
    expect(reasonirCacheDir({ HOME: '/home/u', REASONIR_CACHE: '~/rc' })).toBe('/home/u/rc');
    expect(reasonirCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '~/x' })).toBe('/home/u/x/reasonir');
    expect(reasonirCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/reasonir');
  });

  it("download with HF_HOME='~/hh' fills $HOME/hh/hub, never a literal ./~ folder", async () => {
    const server = await brightServer();
    const home = tempDir('home');
    const cwd = tempDir('cwd');
    try {
      const result = await spawnReasonir(['download', '--task', 'pony', '--config', 'examples', '--revision', fixtureCommit], {
        cwd: cwd.dir,
        env: { HF_ENDPOINT: server.endpoint, HOME: home.dir, HF_HOME: '~/hh', HF_HUB_CACHE: undefined, HUGGINGFACE_HUB_CACHE: undefined, HF_HUB_OFFLINE: '', HF_TOKEN: '' },
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(existsSync(path.join(home.dir, 'hh', 'hub', 'datasets--xlangai--BRIGHT', 'snapshots', fixtureCommit, ...ponyExamples.split('/')))).toBe(true);
      expect(existsSync(path.join(cwd.dir, '~'))).toBe(false);
    } finally {
      await server.close();
      home.remove();
      cwd.remove();
    }
  });
});

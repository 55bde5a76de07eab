import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIGS, DEFAULT_DATASET, getTask, listTasks, parseConfigList, parseQueryVariant, parseTaskList, QUERY_VARIANTS, registryFile, revisionOfFiles } from '../../src/dataset/registry.js';
import { fixturesRoot, runReasonir } from '../helpers/cli.js';

const paperOrder = ['biology', 'earth_science', 'economics', 'psychology', 'robotics', 'stackoverflow', 'sustainable_living', 'leetcode', 'pony', 'aops', 'theoremqa_questions', 'theoremqa_theorems'];

describe('task registry', () => {
  it('lists the 12 tasks in the paper column order with groups and long-document availability', () => {
    const tasks = listTasks();
    expect(tasks.map((task) => task.name)).toEqual(paperOrder);
    expect(tasks.map((task) => task.group)).toEqual([...Array(7).fill('StackExchange'), 'Coding', 'Coding', 'Theorems', 'Theorems', 'Theorems']);
    expect(tasks.filter((task) => task.hasLong).map((task) => task.name)).toEqual([...paperOrder.slice(0, 7), 'pony']);
    expect(DEFAULT_DATASET).toEqual({ repo: 'xlangai/BRIGHT', revision: '3066d29c9651a576c8aba4832d249807b181ecae' });
    expect(QUERY_VARIANTS).toEqual(['original', 'gpt4', 'claude-3-opus', 'llama3-70b', 'Gemini-1.0', 'grit']);
  });

  it('holds every file of the manifest with its size, md5, sha256 and rows', () => {
    const manifest = JSON.parse(readFileSync(path.join(fixturesRoot, 'bright', 'hf-manifest.json'), 'utf8')) as {
      files: Array<{ path: string; size: number; md5: string; sha256_rev_3066d29: string | null; rows: number }>;
    };
    expect(manifest.files).toHaveLength(92);
    for (const file of manifest.files) {
      expect(registryFile(DEFAULT_DATASET.revision, file.path)).toMatchObject({ size: file.size, md5: file.md5, sha256: file.sha256_rev_3066d29, rows: file.rows });
    }
    expect(listTasks().reduce((sum, task) => sum + task.configs.length, 0)).toBe(92);
    expect(getTask('leetcode').rows).toMatchObject({ examples: 142, documents: 413932 });
    expect(getTask('theoremqa_questions').files.documents?.sha256).toBe(getTask('aops').files.documents?.sha256);
  });

  it('parses task lists and rejects unknown names with a suggestion (exit 2)', () => {
    expect(parseTaskList('pony, biology,pony').map((task) => task.name)).toEqual(['pony', 'biology']);
    expect(parseTaskList('all')).toHaveLength(12);
    expect(getTask('earth-science').name).toBe('earth_science');
    expect(() => getTask('theoremqa')).toThrow(/unknown task "theoremqa" \(did you mean "theoremqa_questions"\?\)/);
    try {
      parseTaskList('bio,pony');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ exitCode: 2, code: 'usage.unknown_task' });
    }
    expect(() => parseConfigList('examples,gpt4')).toThrow(/unknown config "gpt4"/);
    expect(parseConfigList('grit_reason,documents')).toEqual(['grit_reason', 'documents']);
    expect(() => parseQueryVariant('gemini')).toThrow(/did you mean "Gemini-1.0"/);
    expect(CONFIGS).toHaveLength(8);
  });

  it('`reasonir tasks` prints the table and --json the registry entries', async () => {
    const table = await runReasonir(['tasks']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toBe('# xlangai/BRIGHT@3066d29c9651a576c8aba4832d249807b181ecae');
    expect(lines[1]).toMatch(/^task +group +long +queries +documents +long_documents$/);
    expect(lines[2]).toMatch(/^biology +StackExchange +yes +103 +57359 +524$/);
    expect(lines[9]).toMatch(/^leetcode +Coding +no +142 +413932 +-$/);
    expect(lines).toHaveLength(14);
    const json = await runReasonir(['tasks', '--json']);
    const parsed = JSON.parse(json.stdout) as { tasks: Array<{ name: string; rows: Record<string, number> }> };
    expect(parsed.tasks.map((task) => task.name)).toEqual(paperOrder);
    expect(parsed.tasks[8]!.rows).toMatchObject({ examples: 112, documents: 7894, long_documents: 577, gpt4_reason: 112 });
  });
});

describe('a --data-dir recognised by its sha256s', () => {
  const file = (sha256: string | null) => ({ config: 'documents' as const, path: 'documents/pony-00000-of-00001.parquet', size: 1, md5: null, sha256, rows: 1 });
  const revisions = new Map([
    ['a'.repeat(40), new Map([['documents/pony-00000-of-00001.parquet', file('1'.repeat(64))]])],
    [DEFAULT_DATASET.revision, new Map([['documents/pony-00000-of-00001.parquet', file('2'.repeat(64))]])],
    ['b'.repeat(40), new Map([['documents/pony-00000-of-00001.parquet', file(null)]])],
  ]);
  it('is the registered revision whose files have exactly those hashes, the pinned one first; else unknown', () => {
    expect(revisionOfFiles([{ path: 'documents/pony-00000-of-00001.parquet', sha256: '2'.repeat(64) }], revisions)).toBe(DEFAULT_DATASET.revision);
    expect(revisionOfFiles([{ path: 'documents/pony-00000-of-00001.parquet', sha256: '1'.repeat(64) }], revisions)).toBe('a'.repeat(40));
    expect(revisionOfFiles([{ path: 'documents/pony-00000-of-00001.parquet', sha256: '3'.repeat(64) }], revisions)).toBeUndefined();
    // one unknown file is enough to be "local"
    expect(revisionOfFiles([{ path: 'documents/pony-00000-of-00001.parquet', sha256: '2'.repeat(64) }, { path: 'examples/pony-00000-of-00001.parquet', sha256: '2'.repeat(64) }], revisions)).toBeUndefined();
    expect(revisionOfFiles([], revisions)).toBeUndefined();
  });

  it('finds the pinned revision from the real registry', () => {
    const pinned = listTasks().find((task) => task.name === 'pony')!.files;
    const files = [pinned.examples!, pinned.documents!].map((entry) => ({ path: entry.path, sha256: entry.sha256! }));
    expect(revisionOfFiles(files)).toBe(DEFAULT_DATASET.revision);
  });
});


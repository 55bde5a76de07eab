import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { instructionFor, listModelConfigs, modelConfigDir, type ModelConfig } from '../../src/encode/model-config.js';

/**
 * Every instruction of every configs/models/*.json against SPEC §1.8 / §4.3, written out here from the SPEC's
 * tables independently of the configs: all tasks, both settings, both roles, and no extra entries.
 */

const STACK_EXCHANGE = ['biology', 'earth_science', 'economics', 'psychology', 'robotics', 'stackoverflow', 'sustainable_living'];
const TASKS = [...STACK_EXCHANGE, 'leetcode', 'pony', 'aops', 'theoremqa_theorems', 'theoremqa_questions'];
const LONG_TASKS = [...STACK_EXCHANGE, 'pony'];

type Table = Record<string, string>;
interface Expected {
  short: { query: Table; document: Table };
  long: { query: Table; document: Table };
}

/** `sentence(task, long)`: the e5/sf/qwen sentence, which grit/reasonir wrap differently. */
function sentence(task: string, long: boolean): string {
  const found = long ? 'documents' : 'passages';
  if (STACK_EXCHANGE.includes(task)) return `Given a ${task} post, retrieve relevant ${found} that help answer the post`;
  if (task === 'pony') return `Given a ${task} question, retrieve relevant ${found} that help answer the question`;
  if (task === 'leetcode') return 'Given a coding problem, retrieve relevant examples that help answer the problem';
  if (task === 'theoremqa_theorems') return 'Given a Math problem, retrieve relevant theorems that help answer the problem';
  return 'Given a Math problem, retrieve relevant examples that help answer the problem'; // aops, theoremqa_questions
}

function bgeQuery(task: string, long: boolean): string {
  const found = long ? 'documents' : 'passages';
  if (STACK_EXCHANGE.includes(task)) return `Represent this ${task} post for searching relevant ${found}: `;
  if (task === 'pony') return `Represent this Pony question for searching relevant ${found}: `;
  if (task === 'leetcode') return 'Represent this Coding problem for searching relevant examples: ';
  if (task === 'theoremqa_theorems') return 'Represent this Math problem for searching relevant theorems: ';
  return 'Represent this Math problem for searching relevant examples: ';
}

function instructorQuery(task: string, long: boolean): string {
  if (STACK_EXCHANGE.includes(task)) return `Represent the ${task} post for retrieving relevant ${long ? 'documents' : 'paragraphs'}: `;
  if (task === 'pony') return `Represent the Pony question for retrieving relevant ${long ? 'documents' : 'paragraphs'}: `;
  if (task === 'leetcode') return 'Represent the Coding problem for retrieving relevant examples: ';
  if (task === 'theoremqa_theorems') return 'Represent the Math problem for retrieving relevant theorems: ';
  return 'Represent the Math problem for retrieving relevant examples: ';
}

function instructorDocument(task: string, long: boolean): string {
  if (STACK_EXCHANGE.includes(task)) return `Represent the ${task} ${long ? 'document' : 'paragraph'} for retrieval: `;
  if (task === 'pony') return `Represent the Pony ${long ? 'document' : 'paragraph'} for retrieval: `;
  if (task === 'leetcode') return 'Represent the Coding example for retrieval: ';
  if (task === 'theoremqa_theorems') return 'Represent the Math theorem for retrieval: ';
  return 'Represent the Math example for retrieval: ';
}

function tables(query: ((task: string, long: boolean) => string) | null, document: ((task: string, long: boolean) => string) | null): Expected {
  const table = (make: ((task: string, long: boolean) => string) | null, tasks: string[], long: boolean): Table =>
    make ? Object.fromEntries(tasks.map((task) => [task, make(task, long)])) : {};
  return {
    short: { query: table(query, TASKS, false), document: table(document, TASKS, false) },
    long: { query: table(query, LONG_TASKS, true), document: table(document, LONG_TASKS, true) },
  };
}

const e5Style = tables((task, long) => `Instruct: ${sentence(task, long)}\nQuery: `, null);
// Qwen3-Embedding's get_detailed_instruct: no space after "Query:" (QwenLM/Qwen3-Embedding README)
const qwen3Style = tables((task, long) => `Instruct: ${sentence(task, long)}\nQuery:`, null);
// ReasonEmbed: FlagEmbedding's BRIGHT prompts (natural task names, trailing period) in 'Instruct: {}\nQuery: {}'
const FLAG_NAMES: Record<string, string> = {
  biology: 'a Biology', earth_science: 'an Earth Science', economics: 'an Economics', psychology: 'a Psychology', robotics: 'a Robotics',
  stackoverflow: 'a Stack Overflow', sustainable_living: 'a Sustainable Living',
};
function flagEmbeddingSentence(task: string, long: boolean): string {
  const found = long ? 'documents' : 'passages';
  if (STACK_EXCHANGE.includes(task)) return `Given ${FLAG_NAMES[task]} post, retrieve relevant ${found} that help answer the post.`;
  if (task === 'pony') return `Given a Pony question, retrieve relevant ${found} that help answer the question${long ? '' : '.'}`;
  if (task === 'leetcode') return 'Given a Coding problem, retrieve relevant examples that help answer the problem.';
  if (task === 'theoremqa_theorems') return 'Given a Math problem, retrieve relevant theorems that help answer the problem.';
  return 'Given a Math problem, retrieve relevant examples that help answer the problem.';
}
const reasonEmbed = tables((task, long) => `Instruct: ${flagEmbeddingSentence(task, long)}\nQuery: `, null);
const gritStyle = tables((task, long) => `<|user|>\n${sentence(task, long)}\n<|embed|>\n`, () => '<|embed|>\n');
const instructor = tables(instructorQuery, instructorDocument);
const EXPECTED: Record<string, Expected> = {
  e5: e5Style,
  sfr: e5Style,
  qwen: e5Style,
  qwen2: e5Style,
  'qwen3-embedding': qwen3Style,
  'reason-embed-qwen3-8b': reasonEmbed,
  'reason-embed-qwen3-4b-0928': reasonEmbed,
  grit: gritStyle,
  reasonir: gritStyle,
  bge: tables(bgeQuery, null),
  'inst-l': instructor,
  'inst-xl': instructor,
  sbert: tables(null, null),
};

function readConfig(name: string): ModelConfig {
  return JSON.parse(readFileSync(path.join(modelConfigDir(), `${name}.json`), 'utf8')) as ModelConfig;
}

describe('configs/models instructions = SPEC §1.8 / §4.3, character by character', () => {
  it('covers every config', async () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(await listModelConfigs());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: every task, setting and role`, () => {
      const config = readConfig(name);
      for (const setting of ['short', 'long'] as const) {
        for (const role of ['query', 'document'] as const) {
          const tasks = setting === 'long' ? LONG_TASKS : TASKS;
          // the resolved text ({task} = raw slug), as the encoder receives it
          const actual = Object.fromEntries(tasks.map((task) => [task, instructionFor(config, task, role, setting === 'long')]));
          const wanted = Object.fromEntries(tasks.map((task) => [task, expected[setting][role][task] ?? '']));
          expect(actual, `${name} ${setting} ${role}`).toEqual(wanted);
          // and no entries beyond the SPEC's (e.g. a long instruction for a task without long documents)
          expect(Object.keys(config.instructions[setting][role] ?? {}).sort(), `${name} ${setting} ${role} tasks`).toEqual(
            Object.keys(expected[setting][role]).sort(),
          );
        }
      }
    });
  }
});

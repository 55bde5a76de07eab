import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brightListwiseMessages, brightListwiseScores, parseBrightListwise } from '../../src/rerank/bright-listwise.js';
import { parseRelevanceScore, pythonFloat, qwenRerankPrompt, qwenRerankPrompts } from '../../src/rerank/qwen-rerank-prompts.js';
import { repoRoot } from '../helpers/cli.js';
import { docsOf } from '../helpers/runs.js';

describe('QwenRerank prompts (configs/rerank/reasonir-qwen-rerank.json)', () => {
  it('is the byte-exact copy of the source material reasonir/rerank-prompts.json', () => {
    // sha256 of the shared file when it was copied; a single changed byte (a trailing space, the stray quote) fails
    const bytes = readFileSync(path.join(repoRoot, 'configs', 'rerank', 'reasonir-qwen-rerank.json'));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('b44d004f2a82534755da8ea5751ee297cd16e9d2776c50b42043267176c9adc9');
  });

  it('maps the twelve tasks to the six prompts and fills query then document', () => {
    const config = qwenRerankPrompts();
    expect(Object.keys(config.task_to_prompt)).toHaveLength(12);
    expect(new Set(Object.values(config.task_to_prompt)).size).toBe(6);
    expect(qwenRerankPrompt('biology', 'Q?', 'D.')).toBe(
      'A document is relevant if it contains information that helps answer or address the query.\n' +
        "A document is not relevant if it doesn't contain information that helps answer the query, even if it mentions similar topics.\n" +
        'Is the document below relevant to answering the query below?\n' +
        "The answer should be 'Relevance score: X.' where X is a number from 0-5.\n" +
        "0 means completely irrelevant, 5 means highly relevant and completely addresses the query. Don't output anything else.\n" +
        'Here is the query:\n<start_query>\nQ?\n<end_query>\nHere is the document:\n<start_document>\nD.\n<end_document>\n',
    );
    expect(qwenRerankPrompt('theoremqa_theorems', 'q', 'd').startsWith('"We want to find a document which uses the same mathematical process as this one: \nq\n')).toBe(true);
    expect(qwenRerankPrompt('pony', 'q', 'd')).toContain('I will use the programming language pony. \nProblem: q\n');
    // braces in the texts are data, not format fields
    expect(qwenRerankPrompt('leetcode', '{0}', '{}')).toContain('this:\n{0}\nDoes the passage');
  });
});

describe('the Relevance score parse rule', () => {
  it.each([
    ['Relevance score: 4.', 0.8, 'parsed'],
    ['Relevance score: 5', 1, 'parsed'],
    ['Relevance score:3', 0.6, 'parsed'],
    ['Relevance score: 10', 0.2, 'parsed'], // two characters: " 1"
    ['Relevance score:10', 2, 'parsed'],
    ['Relevance score: high', -1, 'unparsable'],
    ['Relevance score:', -1, 'unparsable'], // float('') raises
    ['Relevance score: ', -1, 'unparsable'],
    ['Relevance score:\n2', 0.4, 'parsed'], // float strips whitespace
    ['Relevance score: 1 then Relevance score: 2.', 0.4, 'parsed'], // rfind: the last one
    ['relevance score: 4', 0, 'missing'],
    ['I cannot help with that.', 0, 'missing'],
    ['', 0, 'missing'],
    ['Relevance score:.5', 0.1, 'parsed'],
    ['Relevance score:-1', -0.2, 'parsed'],
    ['Relevance score: ４', 0.8, 'parsed'], // float() accepts any Unicode decimal digit
    ['Relevance score:😀1', -1, 'unparsable'], // two code points, not two UTF-16 units
  ])('%j -> %d (%s)', (output, score, outcome) => {
    expect(parseRelevanceScore(output)).toEqual({ score, outcome });
  });

  it('reads float() like Python', () => {
    expect(pythonFloat(' 4')).toBe(4);
    expect(pythonFloat('4.')).toBe(4);
    expect(pythonFloat('1_0')).toBe(10);
    expect(pythonFloat('1_')).toBeNull();
    expect(pythonFloat('inf')).toBe(Infinity);
    expect(pythonFloat('e5')).toBeNull();
    expect(pythonFloat('0x1')).toBeNull();
  });
});

describe("BRIGHT's listwise reranking (rerank.py)", () => {
  it('builds rerank.py\'s chat messages', () => {
    const messages = brightListwiseMessages('line one\nline two', ['a\n\nb', 'c'], 2);
    expect(messages[0]).toEqual({ role: 'system', content: 'You are a helpful assistant' });
    expect(messages[1]!.content).toBe(
      'The following passages are related to query: line one  line two\n\n[1]. a b\n\n[2]. c\n\n' +
        'First identify the essential problem in the query.\n' +
        'Think step by step to reason about why each document is relevant or irrelevant.\n' +
        'Rank these passages based on their relevance to the query.\n' +
        'Please output the ranking result of passages as a list, where the first element is the id of the most relevant passage, the second element is the id of the second most element, etc.\n' +
        'Please strictly follow the format to output a list of 2 ids corresponding to the most relevant 2 passages, sorted from the most to least relevant passage. First think step by step and write the reasoning process, then output the ranking results as a list of ids in a json format.',
    );
  });

  it('parses the last json block and maps ranks to scores k - rank', () => {
    expect(parseBrightListwise('reasoning...\n```json\n[3, 1, 9, "2", 1.0, true]\n```', 3)).toEqual([3, 1, 1, 1]);
    expect(parseBrightListwise('no block [1,2]', 3)).toBeNull();
    expect(parseBrightListwise('```json\nnot json\n```', 3)).toBeNull();
    expect(parseBrightListwise('```json\n{"a": 1}\n```', 3)).toEqual([]);
    expect(parseBrightListwise('```json\nnull\n```', 3)).toBeNull();
    // greedy: from the first ```json to the last ```
    expect(parseBrightListwise('```json\n[2]\n``` and ```json\n[1]\n```', 3)).toBeNull();
    expect(docsOf(brightListwiseScores(['a', 'b', 'c'], [3, 1, 3], 10))).toEqual([{ docId: 'c', score: 8 }, { docId: 'a', score: 9 }]);
    expect(docsOf(brightListwiseScores(['a', 'b', 'c'], null, 10))).toEqual([{ docId: 'a', score: 10 }, { docId: 'b', score: 9 }, { docId: 'c', score: 8 }]);
  });
});

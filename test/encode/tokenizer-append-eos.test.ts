import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/encode/tokenizer.js';
import { hfModelDir } from './graph/hf-fixtures.js';

const files = (name: 'tiny-e5-mistral' | 'tiny-gte-qwen2') => [path.join(hfModelDir(name), 'tokenizer.json'), path.join(hfModelDir(name), 'tokenizer_config.json')] as const;

/** build.appendEos: gte-Qwen2's remote tokenizer appends <|endoftext|>, which its tokenizer.json template lacks. */
describe('TextTokenizer appendEos', () => {
  it('appends the token after truncation when the template lacks it, so it survives like a template suffix', async () => {
    const plain = await TextTokenizer.load(...files('tiny-e5-mistral'));
    const withEos = await TextTokenizer.load(...files('tiny-e5-mistral'), { appendEos: '</s>' });
    const text = 'the cell membrane regulates transport of ions';
    expect(withEos.encode(text, 512)).toEqual([...plain.encode(text, 512), 2]);
    const cut = withEos.encode(text, 5);
    expect(cut).toHaveLength(5);
    expect(cut[cut.length - 1]).toBe(2);
  });

  it('adds nothing when the template already ends with it (the tiny gte-Qwen2 fixture)', async () => {
    const plain = await TextTokenizer.load(...files('tiny-gte-qwen2'));
    const withEos = await TextTokenizer.load(...files('tiny-gte-qwen2'), { appendEos: '<|endoftext|>' });
    expect(withEos.suffixIds).toEqual(plain.suffixIds);
    expect(withEos.encode('a b c', 64)).toEqual(plain.encode('a b c', 64));
  });

  it('a token the tokenizer does not have is an environment error naming it', async () => {
    await expect(TextTokenizer.load(...files('tiny-e5-mistral'), { appendEos: '<|nope|>' })).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('<|nope|>') });
  });
});

import { describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../src/core/seeded-random.js';
import type { AnalyzedIndex } from '../../src/retrieval/bm25/gensim-dictionary.js';
import { LuceneBm25Model } from '../../src/retrieval/bm25/lucene-bm25-model.js';
import { PostingScores } from '../../src/retrieval/bm25/posting-scores.js';
import { webAssembly } from '../../src/core/wasm-module.js';
import { Vocabulary } from '../../src/retrieval/bm25/vocabulary.js';

/** A float32 value over a wide range of magnitudes, so that products and sums round at every exponent. */
function float32(random: () => number): number {
  return Math.fround((0.5 + random()) * 2 ** Math.floor(random() * 40 - 20));
}

/** Ascending distinct rows of `numDocs`, about `density` of them. */
function rowsOf(random: () => number, numDocs: number, density: number): number[] {
  const rows: number[] = [];
  for (let row = 0; row < numDocs; row++) if (random() < density) rows.push(row);
  return rows;
}

describe('PostingScores: weights and float32 multiply-adds in WebAssembly, bit for bit as JavaScript rounds them', () => {
  for (const [numDocs, Tfs, given] of [[3000, Uint8Array, false], [65536, Uint16Array, false], [70001, Uint32Array, false], [3003, Uint8Array, true], [65536, Uint16Array, true], [70001, Uint32Array, true]] as const) {
    it(`weighs terms and adds their products exactly, across memory growth (${numDocs} documents, ${numDocs <= 65536 ? 16 : 32}-bit rows, ${Tfs.name} tfs, ${given ? 'rows kept in a memory given' : 'fresh memory'})`, () => {
      const random = seededRandom(numDocs);
      const postings = new PostingScores(numDocs, given ? new webAssembly.Memory({ initial: 1 }) : undefined);
      expect(postings.keepsRows).toBe(given);
      const norms = Float64Array.from({ length: numDocs }, () => random() * 3 + 0.1);
      postings.norms.set(norms);
      const largestTf = Tfs === Uint8Array ? 0xff : Tfs === Uint16Array ? 0xffff : 0x7fffffff;
      const terms = Array.from({ length: 40 }, (_, term) => {
        // dense blocks for the first terms (a quarter of the documents or more), sparse ones mostly
        const rows = rowsOf(random, numDocs, term < 4 ? [1, 0.7, 0.26, 0.249][term]! : 0.3 * random());
        const tfs = new Tfs(rows.length);
        for (let j = 0; j < rows.length; j++) tfs[j] = 1 + Math.floor(random() ** 3 * largestTf);
        const idf = 0.5 + random() * 10;
        // the last rows are the largest a row number can be here
        const typed = numDocs <= 65536 ? Uint16Array.from(rows) : Uint32Array.from(rows);
        const weights = rows.map((row, j) => Math.fround(idf * (tfs[j]! / (tfs[j]! + norms[row]!))));
        return { rows: typed, tfs, idf, weights, at: -1 };
      });
      for (let query = 0; query < 6; query++) {
        // the last query uses every term
        const used = query === 5 ? terms : terms.filter(() => random() < 0.5);
        const queryWeights = used.map(() => float32(random));
        const expected = new Float32Array(numDocs);
        used.forEach((term, i) => {
          term.rows.forEach((row, j) => (expected[row] = Math.fround(expected[row]! + Math.fround(term.weights[j]! * queryWeights[i]!))));
        });
        postings.scores.fill(0);
        // blocks are made as terms are first used, the memory growing several times meanwhile (kept 16-bit rows of
        // an odd count end a block off 4-byte alignment)
        used.forEach((term, i) => {
          if (term.at < 0) term.at = postings.weigh(term.rows.length, term.idf, term.rows, term.tfs, 0);
          postings.add(term.at, term.rows.length, queryWeights[i]!, term.rows, 0);
        });
        expect(postings.scores.length).toBe(numDocs);
        expect(Buffer.from(postings.scores.buffer, 0, numDocs * 4).equals(Buffer.from(expected.buffer))).toBe(true);
      }
      expect(terms.every((term) => term.at >= 0)).toBe(true);
    });
  }

  for (const memory of [undefined, new webAssembly.Memory({ initial: 1 })]) {
    it(`takes a slice of larger row and tf arrays, and adds nothing for no postings (${memory ? 'rows kept' : 'rows in the room'})`, () => {
      const postings = new PostingScores(10, memory);
      postings.norms.fill(1);
      postings.scores.fill(0);
      const rows = Uint16Array.from([9, 1, 4, 7, 9]);
      const at = postings.weigh(3, 2, rows, Uint8Array.from([5, 1, 3, 7, 5]), 1);
      const other = postings.weigh(1, 4, Uint16Array.from([8]), Uint8Array.from([1]), 0);
      postings.add(at, 3, 2, rows, 1);
      postings.add(at, 0, 2, rows, 1);
      // the room held the other term's rows last: the first term's are loaded again
      postings.add(other, 1, 1, Uint16Array.from([8]), 0);
      postings.add(at, 3, 1, rows, 1);
      // a term without postings, then one whose block starts where its would: each adds its own rows
      const none = postings.weigh(0, 1, rows, Uint8Array.from([1]), 0);
      const last = postings.weigh(1, 4, Uint16Array.from([0]), Uint8Array.from([1]), 0);
      postings.add(other, 1, 1, Uint16Array.from([8]), 0);
      postings.add(none, 0, 1, rows, 0);
      postings.add(last, 1, 1, Uint16Array.from([0]), 0);
      expect(none).toBe(last);
      expect([...postings.scores]).toEqual([2, 3, 0, 0, Math.fround(9 / 2), 0, 0, Math.fround(21 / 4), 4, 0]);
    });
  }
});

describe('PostingScores: a fresh memory', () => {
  it("is shared, so V8 does not count it as this thread's external memory, and clearScores zeroes its scores", () => {
    // V8 adds an unshared memory's bytes to its old generation until the next full collection: a cached
    // biology-sized search's ~10 MB started a mark-compact in a search that followed a collection
    const before = process.memoryUsage().external;
    const postings = new PostingScores(500_000);
    expect(postings.scores.buffer).toBeInstanceOf(SharedArrayBuffer);
    // scores, rooms and norms of 500k documents: ~10 MB
    expect(process.memoryUsage().external - before).toBeLessThan(2 << 20);
    postings.scores.fill(-1.5);
    postings.clearScores();
    expect(postings.scores.every((score) => Object.is(score, 0))).toBe(true);
  });
});

describe('PostingScores: rows and tfs copied out of SharedArrayBuffers (a cache file\'s, a built index\'s)', () => {
  it('copies them into the rooms at the alignment they have in their buffer, word for word, and scores exactly at every offset', () => {
    const numDocs = 3001;
    const random = seededRandom(8);
    const postings = new PostingScores(numDocs);
    const norms = Float64Array.from({ length: numDocs }, () => random() * 3 + 0.1);
    postings.norms.set(norms);
    // one term per start offset (0-7 elements into the arrays): its rows and tfs sit at every alignment; the dense
    // term of every document, shifted furthest, fills the rows' room to its last byte
    const terms = Array.from({ length: 8 }, (_, shift) => {
      const rows = shift === 7 ? Array.from({ length: numDocs }, (_, row) => row) : rowsOf(random, numDocs, 0.05 + 0.02 * shift);
      const docs = new Uint16Array(new SharedArrayBuffer(2 * (rows.length + 8)), 0, rows.length + 8);
      const tfs = new Uint32Array(new SharedArrayBuffer(4 * (rows.length + 8)), 0, rows.length + 8);
      docs.set(rows, shift);
      for (let j = 0; j < rows.length; j++) tfs[shift + j] = 1 + Math.floor(random() * 50);
      const idf = 0.5 + random() * 10;
      const weights = rows.map((row, j) => Math.fround(idf * (tfs[shift + j]! / (tfs[shift + j]! + norms[row]!))));
      return { rows, docs, tfs, shift, idf, weights };
    });
    const queryWeights = terms.map(() => float32(random));
    const expected = new Float32Array(numDocs);
    terms.forEach((term, i) => term.rows.forEach((row, j) => (expected[row] = Math.fround(expected[row]! + Math.fround(term.weights[j]! * queryWeights[i]!)))));
    postings.scores.fill(0);
    const roomStart = Math.ceil(numDocs / 4) * 16;
    terms.forEach((term, i) => {
      const at = postings.weigh(term.rows.length, term.idf, term.docs, term.tfs, term.shift);
      postings.add(at, term.rows.length, queryWeights[i]!, term.docs, term.shift);
      if (!postings.isDense(term.rows.length)) {
        // the rows' room holds this term's rows as far past an 8-byte boundary as they lie in their own buffer
        const room = new Uint16Array(postings.scores.buffer, roomStart + ((2 * term.shift) % 8), term.rows.length);
        expect([...room]).toEqual(term.rows);
      }
    });
    expect(Buffer.from(postings.scores.buffer, 0, numDocs * 4).equals(Buffer.from(expected.buffer))).toBe(true);
  });
});

/**
 * A random index of more than 2^16 documents (32-bit rows), scored by the model and by the formula written out here
 * (gensim's weights in float64, rounded to float32; products and sums in float32, terms in ascending id).
 */
describe('PostingScores.addDenseTwo: two dense blocks in one pass', () => {
  it('adds the first block\'s products, then the second\'s, each rounded as two adds in that order (numDocs not a multiple of 4)', () => {
    const random = seededRandom(41);
    for (const numDocs of [4001, 70002]) {
      const postings = new PostingScores(numDocs);
      postings.norms.set(Float64Array.from({ length: numDocs }, () => random() * 3 + 0.1));
      // dense terms (most documents), products of like magnitudes: the order of the two sums changes some bits
      const terms = Array.from({ length: 3 }, () => {
        const rows = rowsOf(random, numDocs, 0.9);
        const typed = numDocs <= 65536 ? Uint16Array.from(rows) : Uint32Array.from(rows);
        const tfs = Uint8Array.from(rows, () => 1 + Math.floor(random() * 200));
        expect(postings.isDense(rows.length)).toBe(true);
        return { rows: typed, at: postings.weigh(rows.length, 1 + 9 * random(), typed, tfs, 0) };
      });
      const start = Float32Array.from({ length: numDocs }, () => 50 * random());
      const [q1, q2, q3] = [Math.fround(0.5 + random()), Math.fround(0.5 + random()), Math.fround(0.5 + random())];
      // the reference: the same blocks through `add`, one after the other
      postings.scores.set(start);
      postings.add(terms[0]!.at, terms[0]!.rows.length, q1, terms[0]!.rows, 0);
      postings.add(terms[1]!.at, terms[1]!.rows.length, q2, terms[1]!.rows, 0);
      postings.add(terms[2]!.at, terms[2]!.rows.length, q3, terms[2]!.rows, 0);
      const expected = postings.scores.slice();
      postings.scores.set(start);
      postings.addDenseTwo(terms[0]!.at, q1, terms[1]!.at, q2);
      postings.add(terms[2]!.at, terms[2]!.rows.length, q3, terms[2]!.rows, 0);
      expect(Buffer.from(postings.scores.buffer, 0, 4 * numDocs).equals(Buffer.from(expected.buffer))).toBe(true);
      // swapped, the sums differ somewhere: the order is the one asked for
      postings.scores.set(start);
      postings.addDenseTwo(terms[1]!.at, q2, terms[0]!.at, q1);
      postings.add(terms[2]!.at, terms[2]!.rows.length, q3, terms[2]!.rows, 0);
      expect(Buffer.from(postings.scores.buffer, 0, 4 * numDocs).equals(Buffer.from(expected.buffer))).toBe(false);
      expect(() => postings.addDenseTwo(terms[0]!.at, q1, terms[1]!.at, Infinity)).toThrow(/not finite/);
    }
  });
});

describe('LuceneBm25Model.score: the same float32 scores as the formula, term after term', () => {
  // a memory left full of another module's bytes (NaN as float32 or float64) must score as a fresh one: larger than
  // the scores and rooms (the weights grow it) or smaller (it grows at once)
  const dirtyMemory = (pages: number) => {
    const memory = new webAssembly.Memory({ initial: pages });
    new Uint8Array(memory.buffer).fill(0xff);
    return memory;
  };
  const [k1, b] = [0.9, 0.4];
  const numDocs = 70000;
  const termCount = 30;

  /** A random index of `numDocs` documents and `termCount` terms, with the formula's scores of a query vector. */
  function randomIndex(random: () => number) {
    const docs: number[] = [];
    const tfs: number[] = [];
    const termOffsets = new Uint32Array(termCount + 1);
    const docLengths = new Uint32Array(numDocs);
    const df = new Uint32Array(termCount);
    let cfSum = 0;
    for (let term = 0; term < termCount; term++) {
      for (const doc of rowsOf(random, numDocs, random() * 0.4)) {
        const tf = 1 + Math.floor(random() * 9);
        docs.push(doc);
        tfs.push(tf);
        docLengths[doc]! += tf;
        df[term]!++;
        cfSum += tf;
      }
      termOffsets[term + 1] = docs.length;
    }
    const index: AnalyzedIndex = {
      numDocs,
      numPos: cfSum,
      numNnz: docs.length,
      vocabulary: new Vocabulary(new Uint16Array(0), new Uint32Array(termCount + 1)),
      df,
      docLengths,
      termOffsets,
      postingDocs: Uint32Array.from(docs),
      postingTfs: Uint8Array.from(tfs),
      cfSum,
    };
    const avgdl = cfSum / numDocs;
    const vectorOf = (model: LuceneBm25Model) => {
      const termIds = Uint32Array.from({ length: termCount }, (_, id) => id).filter(() => random() < 0.5);
      const weights = Float64Array.from(termIds, () => random() * 3);
      const idfs = Float64Array.from(termIds, (id) => model.idf(id));
      return { termIds, termFrequencies: new Uint32Array(termIds.length), idfs, weights, weights32: Float32Array.from(weights), length: 0 };
    };
    const expectedScores = (model: LuceneBm25Model, vector: ReturnType<typeof vectorOf>) => {
      const expected = new Float32Array(numDocs);
      vector.termIds.forEach((id, i) => {
        for (let p = termOffsets[id]!; p < termOffsets[id + 1]!; p++) {
          const doc = docs[p]!;
          const tf = tfs[p]!;
          const weight = Math.fround(model.idf(id) * (tf / (tf + k1 * (1 - b + (b * docLengths[doc]!) / avgdl))));
          expected[doc] = Math.fround(expected[doc]! + Math.fround(weight * vector.weights32[i]!));
        }
      });
      return expected;
    };
    return { index, vectorOf, expectedScores };
  }

  const sameBits = (scores: Float32Array, expected: Float32Array) => Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength).equals(Buffer.from(expected.buffer));

  for (const [name, memory] of [['fresh memory', undefined], ['a used larger memory', dirtyMemory(24)], ['a used smaller memory', dirtyMemory(1)]] as const) {
    it(`scores every document of a 32-bit-row index as the reference does, queries reusing terms (${name})`, () => {
      const { index, vectorOf, expectedScores } = randomIndex(seededRandom(17));
      const model = new LuceneBm25Model(index, k1, b, memory);
      for (let query = 0; query < 5; query++) {
        const vector = vectorOf(model);
        const scores = model.score(vector);
        expect(sameBits(scores, expectedScores(model, vector))).toBe(true);
        // scored in the memory given, not beside it
        if (memory !== undefined) expect(scores.buffer === memory.buffer).toBe(true);
      }
    });

    it(`scores the same with blocks laid out and prefaulted ahead, after terms already weighed (${name})`, async () => {
      const { index, vectorOf, expectedScores } = randomIndex(seededRandom(29));
      const model = new LuceneBm25Model(index, k1, b, memory === undefined ? undefined : dirtyMemory(memory.buffer.byteLength / 65536));
      // weighed before the layout: the pool must not write into these blocks
      const first = vectorOf(model);
      expect(sameBits(model.score(first), expectedScores(model, first))).toBe(true);
      const vectors = Array.from({ length: 6 }, () => vectorOf(model));
      const ready = model.prefaultBlocks(vectors);
      expect(ready).toHaveLength(vectors.length);
      for (let i = 0; i < vectors.length; i++) {
        await ready[i];
        expect(sameBits(model.score(vectors[i]!), expectedScores(model, vectors[i]!))).toBe(true);
      }
      // every block is weighed now; all of them again, the first one's included
      for (const vector of [first, ...vectors]) expect(sameBits(model.score(vector), expectedScores(model, vector))).toBe(true);
    });
  }
});

describe('LuceneBm25Model: scoring memory made at the first score', () => {
  it('a model that only weighs queries (the main thread while workers rank) sets up no PostingScores; the first score does, once', () => {
    const made = vi.spyOn(PostingScores.prototype, 'fillNorms');
    try {
      const docLengths = Uint32Array.of(2, 1, 3);
      const index: AnalyzedIndex = {
        numDocs: 3,
        numPos: 6,
        numNnz: 4,
        vocabulary: new Vocabulary(Uint16Array.of(0x61, 0x62), Uint32Array.of(0, 1, 2)),
        df: Uint32Array.of(3, 1),
        docLengths,
        termOffsets: Uint32Array.of(0, 3, 4),
        postingDocs: Uint32Array.of(0, 1, 2, 2),
        postingTfs: Uint8Array.of(2, 1, 2, 1),
        cfSum: 6,
      };
      const model = new LuceneBm25Model(index, 0.9, 0.4);
      const vector = model.vectorize(['a', 'b', 'a', 'zz']);
      expect([...vector.termIds]).toEqual([0, 1]);
      expect(made).not.toHaveBeenCalled();
      const scores = [...model.score(vector)];
      expect(made).toHaveBeenCalledTimes(1);
      // the same scores again from the same memory, and from a model that set it up at once
      expect([...model.score(vector)]).toEqual(scores);
      expect(made).toHaveBeenCalledTimes(1);
      const other = new LuceneBm25Model(index, 0.9, 0.4);
      expect([...other.score(other.vectorize(['a', 'b', 'a', 'zz']))]).toEqual(scores);
      expect(scores.every((score) => score > 0)).toBe(true);
    } finally {
      made.mockRestore();
    }
  });
});

describe('LuceneBm25Model.prefaultBlocks: thread-pool jobs', () => {
  it('prefaults the first query alone, then queries together in contiguous jobs, each query awaiting the job holding its blocks', async () => {
    const numDocs = 20000;
    const terms = 60;
    // sparse terms of ~3,000 postings (~12 KB of weights each): many queries per job
    const rows = Array.from({ length: terms }, (_, term) => Array.from({ length: 2500 + 20 * term }, (_, i) => (i * 97 + term) % numDocs).sort((a, b) => a - b));
    const termOffsets = new Uint32Array(terms + 1);
    rows.forEach((list, term) => (termOffsets[term + 1] = termOffsets[term]! + list.length));
    const postingDocs = Uint16Array.from(rows.flat());
    const index: AnalyzedIndex = {
      numDocs,
      numPos: postingDocs.length,
      numNnz: postingDocs.length,
      vocabulary: new Vocabulary(new Uint16Array(0), new Uint32Array(terms + 1)),
      df: Uint32Array.from(rows, (list) => list.length),
      docLengths: new Uint32Array(numDocs).fill(3),
      termOffsets,
      postingDocs,
      postingTfs: new Uint8Array(postingDocs.length).fill(1),
      cfSum: 3 * numDocs,
    };
    const model = new LuceneBm25Model(index, 0.9, 0.4);
    const vectors = Array.from({ length: terms }, (_, id) => {
      const termIds = Uint32Array.of(id);
      return { termIds, termFrequencies: Uint32Array.of(1), idfs: Float64Array.of(model.idf(id)), weights: Float64Array.of(1), weights32: Float32Array.of(1), length: 1 };
    });
    const jobs: Array<{ from: number; to: number; done: Promise<void> }> = [];
    const original = PostingScores.prototype.prefault;
    const spy = vi.spyOn(PostingScores.prototype, 'prefault').mockImplementation(function (this: PostingScores, from: number, to: number) {
      const done = original.call(this, from, to);
      jobs.push({ from, to, done });
      return done;
    });
    try {
      const ready = model.prefaultBlocks(vectors);
      expect(ready).toHaveLength(terms);
      expect(jobs.length).toBeGreaterThan(2);
      expect(jobs.length).toBeLessThan(terms / 4);
      // contiguous, ascending, the first query's job its own
      jobs.forEach((job, i) => expect(job.from).toBe(i === 0 ? jobs[0]!.from : jobs[i - 1]!.to));
      expect(ready[0]).toBe(jobs[0]!.done);
      expect(ready[1]).not.toBe(jobs[0]!.done);
      // each query awaits one of the jobs, in order, the last one the last job
      const jobOf = ready.map((promise) => jobs.findIndex((job) => job.done === promise));
      expect(jobOf.every((job, i) => job >= 0 && (i === 0 || job >= jobOf[i - 1]!))).toBe(true);
      expect(jobOf.at(-1)).toBe(jobs.length - 1);
      for (let i = 0; i < terms; i++) {
        await ready[i];
        const scores = model.score(vectors[i]!);
        expect(scores[rows[i]![0]!]).toBeGreaterThan(0);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('PostingScores.fillNorms', () => {
  it("computes gensim's length norms bit for bit as the JavaScript expression does", () => {
    const random = seededRandom(5);
    for (const numDocs of [1, 7, 3000, 70001]) {
      const lengths = Uint32Array.from({ length: numDocs }, (_, i) => (i < 3 ? [0, 1, 0xffffffff][i]! : Math.floor(random() ** 4 * 2 ** (1 + random() * 31))));
      for (const [k1, b, avgdl] of [[0.9, 0.4, 113.7], [random() * 3, random(), 1 + random() * 5000], [1.2, 0.75, 0.3], [0, 1, 7]] as const) {
        const postings = new PostingScores(numDocs);
        postings.fillNorms(lengths, k1, b, avgdl);
        const expected = Float64Array.from(lengths, (length) => k1 * (1 - b + (b * length) / avgdl));
        expect(Buffer.from(postings.norms.buffer, postings.norms.byteOffset, postings.norms.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
      }
    }
  });
});

describe('PostingScores.prefault', () => {
  it('lets blocks laid out ahead be weighed as weigh would, and refuses to grow the memory while the pool writes', async () => {
    const postings = new PostingScores(1000);
    postings.norms.fill(1.5);
    // a term in a fifth of the documents (a sparse block) and one in 60 % of them (dense, where SIMD is there)
    const sparseRows = Uint16Array.from({ length: 200 }, (_, i) => 5 * i + 2);
    const denseRows = Uint16Array.from({ length: 600 }, (_, i) => i + Math.floor(i / 3));
    const tfs = Uint8Array.from({ length: 600 }, (_, i) => 1 + (i % 7));
    expect(postings.isDense(200)).toBe(false);
    expect(postings.isDense(600)).toBe(true);
    const from = postings.end;
    const sparse = postings.block(200);
    expect(postings.end).toBe(sparse + 4 * 200);
    const dense = postings.block(600);
    expect(dense % 16).toBe(0);
    expect(postings.end).toBe(dense + 4 * 1000);
    const writing = postings.prefault(from, postings.end);
    expect(() => {
      for (;;) postings.block(200);
    }).toThrow(/grow while the thread pool writes/);
    await writing;
    expect(postings.weighInto(sparse, 200, 2, sparseRows, tfs, 0)).toBe(sparse);
    expect(postings.weighInto(dense, 600, 3, denseRows, tfs, 0)).toBe(dense);
    postings.scores.fill(0);
    postings.add(sparse, 200, 1, sparseRows, 0);
    postings.add(dense, 600, 0.5, denseRows, 0);
    const expected = new Float32Array(1000);
    sparseRows.forEach((row, j) => (expected[row] = Math.fround(2 * (tfs[j]! / (tfs[j]! + 1.5)))));
    denseRows.forEach((row, j) => (expected[row] = Math.fround(expected[row]! + Math.fround(Math.fround(3 * (tfs[j]! / (tfs[j]! + 1.5))) * 0.5))));
    expect([...postings.scores]).toEqual([...expected]);
    // settled: it grows again
    const size = postings.scores.buffer.byteLength;
    postings.block(size);
    expect(postings.scores.buffer.byteLength).toBeGreaterThan(size);
  });

  it('lays out blocks past the memory without growing it, then grows it once to the pages they take', () => {
    const postings = new PostingScores(1000);
    const size = postings.scores.buffer.byteLength;
    const first = postings.block(200, false);
    for (let i = 0; i < 500; i++) postings.block(150, false);
    const end = postings.end;
    expect(end).toBeGreaterThan(2 * size);
    expect(postings.scores.buffer.byteLength).toBe(size);
    postings.growToEnd();
    expect(postings.scores.buffer.byteLength).toBe(Math.ceil(end / 65536) * 65536);
    postings.norms.fill(1);
    const rows = Uint16Array.from({ length: 150 }, (_, i) => 6 * i);
    const tfs = new Uint8Array(150).fill(1);
    const last = end - 4 * 150;
    postings.weighInto(last, 150, 2, rows, tfs, 0);
    postings.scores.fill(0);
    postings.add(last, 150, 1, rows, 0);
    expect(postings.scores[6 * 149]).toBe(1);
    expect(first).toBeLessThan(last);
  });
});

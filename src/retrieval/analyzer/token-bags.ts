import { TOKEN_BAGS_WASM } from './generated/token-bags-wasm.js';
import { SCANNER_TABLES } from './standard-tokenizer.js';
import { LOWERCASE_TABLES } from './java-lowercase.js';
import { ENGLISH_STOP_WORDS } from './english-stop-words.js';
import { stringOfUnits } from './utf16-interner.js';
import { webAssembly, type WasmMemory, type WasmModule } from '../../core/wasm-module.js';

/** What wasm/token-bags.c exports. */
interface TokenBagsExports {
  memory: WasmMemory;
  alloc(bytes: number): number;
  set_tables(
    charClass: number, rowMap: number, transitions: number, attributes: number, actions: number, initialState: number,
    bmpLower: number, astralLower: number, astralPairs: number, stopUnits: number, stopEnds: number, stopWords: number,
  ): void;
  start_numbering(expectedRaw: number, expectedTerms: number): number;
  reserve_chunk(units: number, docs: number): number;
  analyze_chunk(docs: number): number;
  text_at(): number;
  doc_ends_at(): number;
  doc_offsets_at(): number;
  bag_terms_at(): number;
  bag_tfs_at(): number;
  largest_term_frequency(): number;
  term_count(): number;
  raw_token_count(): number;
  term_units_at(): number;
  term_starts_at(): number;
}

/** Compiled once per thread, on first use. */
let compiled: WasmModule | undefined;

/** The bags of one chunk: views into the analyzer's memory, valid until its next call. */
export interface ChunkBags {
  /** Document i's entries are [docOffsets[i], docOffsets[i + 1]). */
  docOffsets: Uint32Array;
  terms: Uint32Array;
  tfs: Uint32Array;
  largestTf: number;
}

/**
 * The analyzer chain of analyze.ts (tokenizer, possessive, lowercase, stop words, Porter, each distinct raw token
 * filtered once) run in WebAssembly (wasm/token-bags.c) over whole chunks of documents, each document bagged over
 * term numbers: filtered forms numbered in order of first appearance, as TokenTable numbers them. This is what the
 * BM25 index build runs on every token of a corpus, on threads that start with nothing compiled: the module is
 * compiled in milliseconds and handles a new token without a string, where the JavaScript chain spends its first
 * pass compiling and allocating. One numbering at a time; `startNumbering` empties the tables and reuses their
 * memory.
 */
export class TokenBags {
  private readonly wasm: TokenBagsExports;

  constructor() {
    compiled ??= new webAssembly.Module(Buffer.from(TOKEN_BAGS_WASM, 'base64'));
    this.wasm = new webAssembly.Instance(compiled, {}).exports as unknown as TokenBagsExports;
    this.writeTables();
  }

  /** Empties the tables, sized for `rawTokens` distinct raw tokens and `terms` terms (any number fits). */
  startNumbering(rawTokens: number, terms: number): void {
    if (this.wasm.start_numbering(rawTokens, terms) === 0) throw outOfMemory();
  }

  /** Distinct raw tokens met since the numbering started. */
  get rawTokens(): number {
    return this.wasm.raw_token_count();
  }

  /** Terms numbered so far: 0 .. terms - 1. */
  get terms(): number {
    return this.wasm.term_count();
  }

  /** The bags of `texts`, one per text, in views valid until the next call. */
  bag(texts: readonly string[]): ChunkBags {
    const { wasm } = this;
    let units = 0;
    for (const text of texts) units += text.length;
    if (wasm.reserve_chunk(units, texts.length) === 0) throw outOfMemory();
    const memory = Buffer.from(wasm.memory.buffer);
    const ends = new Uint32Array(wasm.memory.buffer, wasm.doc_ends_at(), texts.length);
    let at = wasm.text_at();
    for (let doc = 0; doc < texts.length; doc++) {
      const text = texts[doc]!;
      // UTF-16LE writes the units as they are, lone surrogates included
      at += memory.write(text, at, text.length * 2, 'utf16le');
      ends[doc] = (at - wasm.text_at()) >> 1;
    }
    const nnz = wasm.analyze_chunk(texts.length);
    if (nnz === -1) throw outOfMemory();
    if (nnz < 0) throw new Error('StandardTokenizer: no rule matched (corrupt tables?)');
    const buffer = wasm.memory.buffer;
    return {
      docOffsets: new Uint32Array(buffer, wasm.doc_offsets_at(), texts.length + 1),
      terms: new Uint32Array(buffer, wasm.bag_terms_at(), nnz),
      tfs: new Uint32Array(buffer, wasm.bag_tfs_at(), nnz),
      largestTf: wasm.largest_term_frequency(),
    };
  }

  /** Terms `from` .. terms - 1 joined into one string, and the end of each in it (as Utf16Interner.joined). */
  joinedTerms(from: number): { text: string; ends: Uint32Array<ArrayBuffer> } {
    const { wasm } = this;
    const count = Math.max(0, wasm.term_count() - from);
    const starts = new Uint32Array(wasm.memory.buffer, wasm.term_starts_at(), wasm.term_count() + 1);
    const base = starts[from] ?? 0;
    const ends = new Uint32Array(count);
    for (let i = 0; i < count; i++) ends[i] = starts[from + i + 1]! - base;
    const units = new Uint16Array(wasm.memory.buffer, wasm.term_units_at(), base + (ends[count - 1] ?? 0));
    return { text: stringOfUnits(units, base, units.length), ends };
  }

  /** Copies the analyzer's tables into the module's memory (read-only there). */
  private writeTables(): void {
    const { wasm } = this;
    const place = (array: ArrayBufferView & ArrayLike<number>, View: Uint8ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor) => {
      const at = wasm.alloc(array.length * View.BYTES_PER_ELEMENT);
      if (at === 0) throw outOfMemory();
      new View(wasm.memory.buffer, at, array.length).set(array);
      return at;
    };
    const { charClass, rowMap, transitions, attributes, actions, initialState } = SCANNER_TABLES;
    const astral = [...LOWERCASE_TABLES.astralLower].sort(([a], [b]) => a - b).flat();
    const stopWords = [...ENGLISH_STOP_WORDS];
    const stopUnits = Uint16Array.from(stopWords.join(''), (unit) => unit.charCodeAt(0));
    let end = 0;
    const stopEnds = Uint8Array.from(stopWords, (word) => (end += word.length));
    if (end > 0xff) throw new Error('stop words do not fit the WebAssembly table');
    wasm.set_tables(
      place(charClass, Uint8Array), place(rowMap, Int32Array), place(transitions, Int32Array), place(attributes, Uint8Array),
      place(actions, Uint8Array), initialState, place(LOWERCASE_TABLES.bmpLower, Uint16Array), place(Uint32Array.from(astral), Uint32Array),
      astral.length / 2, place(stopUnits, Uint16Array), place(stopEnds, Uint8Array), stopWords.length,
    );
  }
}

function outOfMemory(): RangeError {
  return new RangeError('analyzer: the WebAssembly memory could not grow (4 GiB at most)');
}

import { TOKEN_BAGS_WASM } from './generated/token-bags-wasm.js';
import { SCANNER_TABLES, writeCharClasses } from './standard-tokenizer.js';
import { LOWERCASE_TABLES } from './java-lowercase.js';
import { ENGLISH_STOP_WORDS } from './english-stop-words.js';
import { webAssembly, type WasmMemory, type WasmModule } from '../../core/wasm-module.js';
import { unitBuffer, type UnitBuffer } from '../../core/unit-buffer.js';

/** What wasm/token-bags.c exports. */
interface TokenBagsExports {
  memory: WasmMemory;
  alloc(bytes: number): number;
  set_tables(
    charClass: number, classes: number, rowMap: number, states: number, transitions: number, attributes: number, actions: number,
    initialState: number, bmpLower: number, astralLower: number, astralPairs: number, stopUnits: number, stopEnds: number, stopWords: number,
  ): number;
  start(rawTokenLimit: number, expectedRaw: number, expectedTerms: number, reserve: number): number;
  start_chunk(units: number, docs: number): number;
  text_room(units: number): number;
  bag_document(units: number): number;
  doc_offsets_at(): number;
  bag_terms_at(): number;
  bag_tfs_at(): number;
  bag_entries(): number;
  list_tokens(units: number): number;
  token_list_at(): number;
  largest_term_frequency(): number;
  term_count(): number;
  raw_token_count(): number;
  term_units_at(): number;
  term_unit_bytes(): number;
  term_starts_at(): number;
  lay_out_by_term(docBytes: number, tfBytes: number): number;
  utf8_room(bytes: number, docs: number): number;
  utf8_offsets_at(): number;
  bag_utf8_document(doc: number, base: number): number;
}

/** Bytes of UTF-8 documents passed to the module at a time (more for a longer document): stays in cache. */
const UTF8_BLOCK = 1 << 16;

/**
 * Term strings a table has room for at first, and the room it jumps to when it outgrows that while it reserves a
 * corpus's rooms (wasm/token-bags.c's JUMP_TERMS, as its term index does). An array's room is written when it is
 * made (holes), so the doublings from 4096 to a corpus's ~130k terms wrote ~2x the final array into fresh pages (a
 * large object each), ~1,000 page faults of a first pass; the jump writes it once. Tables for a few texts double.
 */
const FIRST_STRINGS = 1 << 12;
const JUMP_STRINGS = 1 << 17;

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

/** Bytes per count: 1, 2 or 4. */
export type CountBytes = 1 | 2 | 4;
type Counts = Uint8Array | Uint16Array | Uint32Array;
const COUNTS = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array } as const;

/**
 * The last bagged chunk laid out by term (chunk-postings.ts's layout, which the tests hold it to): views into the
 * analyzer's memory, valid until its next call.
 */
export interface TermLayout {
  /** The chunk's distinct terms in order of first appearance. */
  terms: Uint32Array;
  /** Postings of `terms[i]`: [termOffsets[i], termOffsets[i + 1]). */
  termOffsets: Uint32Array;
  /** Tokens of each document. */
  docLengths: Uint32Array;
  /** Each posting's document within the chunk, documents ascending per term. */
  postingDocs: Counts;
  postingTfs: Counts;
}

/**
 * The analyzer chain (tokenizer, possessive, lowercase, stop words, Porter: analyzeStages' JavaScript stages) run in
 * WebAssembly (wasm/token-bags.c), each distinct raw token filtered once and its filtered form numbered in order of
 * first appearance for as long as the instance lives (the raw tokens are forgotten every `rawTokenLimit`, to bound
 * memory; the numbering stays). Documents come out as bags of term numbers (the BM25 index build) or as lists of
 * them (`analyze`). This runs on every token of a corpus, on threads that start with nothing compiled: the module is
 * compiled in milliseconds and handles a new token without a string, where the JavaScript chain spent its first
 * pass compiling and allocating.
 */
export class TokenBags {
  private readonly wasm: TokenBagsExports;
  /** The module's memory as bytes; made again when the memory has grown (which detaches the old buffer). */
  private bytes: UnitBuffer;
  /** The same memory as 32-bit words, made again with `bytes`. */
  private words: Uint32Array;
  /** Where a document's units go, and how many fit there. */
  private textAt = 0;
  private textRoom = 0;
  /** Whether the tables reserve a corpus's rooms (the constructor's `reserve`). */
  private readonly reserve: boolean;
  /** The string of each term, made in number order for terms 0 .. made - 1 (holes after). */
  private strings: string[] = new Array<string>(FIRST_STRINGS);
  private made = 0;

  /**
   * `expectedRawTokens` / `expectedTerms`: distinct raw tokens and terms the analysis is expected to meet, which
   * sizes the tables up front (any number fits). `reserve`: the tables filled in order start at least at the rooms
   * a corpus needs (~26 MB of memory, each page paid only once written); false: at the expected sizes alone, for a
   * few texts (V8 counts the whole memory as external memory, written or not, and collects garbage sooner for it).
   */
  constructor(rawTokenLimit: number, expectedRawTokens: number, expectedTerms: number, reserve = true) {
    compiled ??= new webAssembly.Module(Buffer.from(TOKEN_BAGS_WASM, 'base64'));
    this.wasm = new webAssembly.Instance(compiled, {}).exports as unknown as TokenBagsExports;
    this.writeTables();
    if (this.wasm.start(rawTokenLimit, expectedRawTokens, expectedTerms, reserve ? 1 : 0) === 0) throw outOfMemory();
    this.reserve = reserve;
    this.bytes = unitBuffer(this.wasm.memory.buffer);
    this.words = new Uint32Array(this.wasm.memory.buffer);
  }

  /** The module's memory: a thread done analyzing may reuse its pages, every one it touched already paid for. */
  get memory(): WasmMemory {
    return this.wasm.memory;
  }

  /** Distinct raw tokens remembered now. */
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
    if (wasm.start_chunk(units, texts.length) === 0) throw outOfMemory();
    for (const text of texts) check(wasm.bag_document(this.write(text)));
    return this.chunkBags(texts.length);
  }

  /**
   * The bags of the documents in `bytes` as UTF-8 (document i is bytes [offsets[i], offsets[i + 1])): the same as
   * `bag` of their strings as Node's UTF-8 decoder makes them (malformed bytes included; a BOM is not dropped),
   * without making them.
   */
  bagUtf8(bytes: Uint8Array, offsets: Uint32Array): ChunkBags {
    const { wasm } = this;
    const docs = offsets.length - 1;
    // the bytes go in a block of whole documents at a time (wasm/token-bags.c says why): a room for the largest
    let room = UTF8_BLOCK;
    for (let doc = 0; doc < docs; doc++) room = Math.max(room, offsets[doc + 1]! - offsets[doc]!);
    const at = wasm.utf8_room(room, docs);
    if (at === 0) throw outOfMemory();
    new Uint32Array(wasm.memory.buffer, wasm.utf8_offsets_at(), offsets.length).set(offsets);
    // no more units than bytes
    if (wasm.start_chunk(offsets[docs]! - offsets[0]!, docs) === 0) throw outOfMemory();
    for (let doc = 0; doc < docs; ) {
      const base = offsets[doc]!;
      let end = doc + 1;
      while (end < docs && offsets[end + 1]! - base <= room) end++;
      // a fresh view each block: bagging may grow the memory, which detaches its buffer
      new Uint8Array(wasm.memory.buffer, at, offsets[end]! - base).set(bytes.subarray(base, offsets[end]));
      for (; doc < end; doc++) check(wasm.bag_utf8_document(doc, base));
    }
    return this.chunkBags(docs);
  }

  /** The last chunk bagged laid out by term, its posting documents and term frequencies `docBytes` / `tfBytes` wide. */
  layOutByTerm(docBytes: CountBytes, tfBytes: CountBytes): TermLayout {
    const { wasm } = this;
    const at = wasm.lay_out_by_term(docBytes, tfBytes);
    if (at === 0) throw outOfMemory();
    const buffer = wasm.memory.buffer;
    const [distinct, postings, docs, terms, termOffsets, docLengths, postingDocs, postingTfs] = new Uint32Array(buffer, at, 8);
    return {
      terms: new Uint32Array(buffer, terms, distinct),
      termOffsets: new Uint32Array(buffer, termOffsets, distinct! + 1),
      docLengths: new Uint32Array(buffer, docLengths, docs),
      postingDocs: new COUNTS[docBytes](buffer, postingDocs, postings),
      postingTfs: new COUNTS[tfBytes](buffer, postingTfs, postings),
    };
  }

  /** The bags of the chunk just bagged, of `docs` documents. */
  private chunkBags(docs: number): ChunkBags {
    const { wasm } = this;
    const buffer = wasm.memory.buffer;
    const entries = wasm.bag_entries();
    return {
      docOffsets: new Uint32Array(buffer, wasm.doc_offsets_at(), docs + 1),
      terms: new Uint32Array(buffer, wasm.bag_terms_at(), entries),
      tfs: new Uint32Array(buffer, wasm.bag_tfs_at(), entries),
      largestTf: wasm.largest_term_frequency(),
    };
  }

  /** The term numbers of `text`'s tokens in order (none for a token the filters drop), in a view valid until the next call. */
  tokens(text: string): Uint32Array {
    const count = this.list(text);
    return new Uint32Array(this.wasm.memory.buffer, this.wasm.token_list_at(), count);
  }

  /** The strings of `text`'s tokens in order: `term` of each of `tokens`, read without a view per text. */
  tokenStrings(text: string): string[] {
    const count = this.list(text);
    if (this.made < this.wasm.term_count()) this.makeStrings();
    this.viewMemory();
    const { strings, words } = this;
    const at = this.wasm.token_list_at() >>> 2;
    const tokens = new Array<string>(count);
    for (let i = 0; i < count; i++) tokens[i] = strings[words[at + i]!]!;
    return tokens;
  }

  /** The string of term number `term`. */
  term(term: number): string {
    if (term >= this.made) this.makeStrings();
    return this.strings[term]!;
  }

  /** Lists `text`'s term numbers at token_list_at; returns how many. */
  private list(text: string): number {
    return check(this.wasm.list_tokens(this.write(text)));
  }

  /**
   * Makes the strings of every term numbered since the last were made (those of the text just listed, as `analyze`
   * asks for them): one read of their units, which are stored one after the other, cut into a string per term,
   * costs far less than a read per term.
   */
  private makeStrings(): void {
    const { wasm } = this;
    this.viewMemory();
    const first = this.made;
    const end = wasm.term_count();
    if (end > this.strings.length) {
      const grown = new Array<string>(Math.max(end, this.reserve && this.strings.length < JUMP_STRINGS ? JUMP_STRINGS : 2 * this.strings.length));
      for (let at = 0; at < first; at++) grown[at] = this.strings[at]!;
      this.strings = grown;
    }
    const { strings, words } = this;
    const starts = wasm.term_starts_at() >>> 2;
    const from = words[starts + first]!;
    const units = wasm.term_units_at();
    // UTF-16LE reads the units back as they are, lone surrogates included; Latin-1 reads one-byte units as theirs
    const joined =
      wasm.term_unit_bytes() === 2
        ? this.bytes.ucs2Slice(units + 2 * from, units + 2 * words[starts + end]!)
        : this.bytes.latin1Slice(units + from, units + words[starts + end]!);
    for (let at = first; at < end; at++) strings[at] = joined.slice(words[starts + at]! - from, words[starts + at + 1]! - from);
    this.made = end;
  }

  /** Makes the views of the module's memory again when it has grown (which detaches the old buffer). */
  private viewMemory(): void {
    const { buffer } = this.wasm.memory;
    if (this.bytes.buffer === buffer) return;
    this.bytes = unitBuffer(buffer);
    this.words = new Uint32Array(buffer);
  }

  /** Writes `text` where the module reads a document from; returns its length. */
  private write(text: string): number {
    const { wasm } = this;
    if (text.length > this.textRoom) {
      this.textAt = wasm.text_room(text.length);
      if (this.textAt === 0) throw outOfMemory();
      this.textRoom = text.length;
    }
    this.viewMemory();
    // UTF-16LE writes the units as they are, lone surrogates included; one document at a time stays in cache
    this.bytes.ucs2Write(text, this.textAt, text.length * 2);
    return text.length;
  }

  /**
   * The units of terms `from` .. terms - 1, one after the other in a fresh array, and the end of each in it: what a
   * thread sends (by transfer) so that another can intern them, lone surrogates included.
   */
  joinedTerms(from: number): { units: Uint16Array<ArrayBuffer>; ends: Uint32Array<ArrayBuffer> } {
    const { wasm } = this;
    const count = Math.max(0, wasm.term_count() - from);
    const starts = new Uint32Array(wasm.memory.buffer, wasm.term_starts_at(), wasm.term_count() + 1);
    const ends = new Uint32Array(count);
    for (let i = 0; i < count; i++) ends[i] = starts[from + i + 1]! - starts[from]!;
    const first = count === 0 ? 0 : starts[from]!;
    const length = count === 0 ? 0 : ends[count - 1]!;
    const at = wasm.term_units_at();
    if (wasm.term_unit_bytes() === 2) return { units: new Uint16Array(wasm.memory.buffer, at + 2 * first, length).slice(), ends };
    // one byte a unit in the module: widened
    const units = new Uint16Array(length);
    units.set(new Uint8Array(wasm.memory.buffer, at + first, length));
    return { units, ends };
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
    const { classes, rowMap, transitions, attributes, actions, initialState } = SCANNER_TABLES;
    const charClass = wasm.alloc(0x110000);
    if (charClass === 0) throw outOfMemory();
    writeCharClasses(new Uint8Array(wasm.memory.buffer, charClass, 0x110000));
    const astral = [...LOWERCASE_TABLES.astralLower].sort(([a], [b]) => a - b).flat();
    const stopWords = [...ENGLISH_STOP_WORDS];
    const stopUnits = Uint16Array.from(stopWords.join(''), (unit) => unit.charCodeAt(0));
    let end = 0;
    const stopEnds = Uint8Array.from(stopWords, (word) => (end += word.length));
    if (end > 0xff) throw new Error('stop words do not fit the WebAssembly table');
    // the module keeps one bit per class for each state's transitions back to itself
    if (classes > 32) throw new Error(`StandardTokenizer: ${classes} char classes do not fit the WebAssembly scanner (32 at most)`);
    // and a state in a byte of each transition, beside its row
    if (rowMap.length > 0x100) throw new Error(`StandardTokenizer: ${rowMap.length} states do not fit the WebAssembly scanner (256 at most)`);
    const placed = wasm.set_tables(
      charClass, classes, place(rowMap, Int32Array), rowMap.length, place(transitions, Int32Array), place(attributes, Uint8Array),
      place(actions, Uint8Array), initialState, place(LOWERCASE_TABLES.bmpLower, Uint16Array), place(Uint32Array.from(astral), Uint32Array),
      astral.length / 2, place(stopUnits, Uint16Array), place(stopEnds, Uint8Array), stopWords.length,
    );
    if (placed === 0) throw outOfMemory();
  }
}

/** A module call's count, or the error its negative status stands for. */
function check(status: number): number {
  if (status === -1) throw outOfMemory();
  if (status < 0) throw new Error('StandardTokenizer: no rule matched (corrupt tables?)');
  return status;
}

function outOfMemory(): RangeError {
  return new RangeError('analyzer: the WebAssembly memory could not grow (4 GiB at most)');
}

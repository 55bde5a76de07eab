import { ACTION, ATTRIBUTE, CMAP_RUNS, LEXSTATE_INITIAL, ROWMAP, TRANS } from './generated/lucene-tables.js';

/**
 * Lucene 8 `StandardTokenizer`: the JFlex DFA generated from Lucene's UAX #29 grammar (tables copied from the jar,
 * see generated/), driven by a scanner that reproduces the JFlex skeleton Lucene uses, including its fixed
 * 255-char buffer that never grows. That buffer is why long runs come out in 255-unit pieces and why no match can
 * look further than 255 chars past its start; both are observable in the tokens, so the window is emulated
 * exactly rather than approximated by a "split long tokens" rule.
 */

const BUFFER_SIZE = 255;

/**
 * Char class of every code point (0..0x10FFFF); lone surrogates are looked up as themselves, as in Java. Made on the
 * first tokenize: this module is loaded for its tables by every analysis thread, whose WebAssembly analyzer has a
 * table of its own and never calls tokenize.
 */
let charClasses: Uint8Array | undefined;

/**
 * Writes the char class of every code point into `table` (0x110000 entries, all 0 before): only the runs of other
 * classes, which lie on 40 of the table's 272 pages; a page of the rest is never touched (a page fault each, per
 * thread, and the WebAssembly analyzer holds a table of its own).
 */
export function writeCharClasses(table: Uint8Array): void {
  let at = 0;
  for (let i = 0; i < CMAP_RUNS.length; i += 2) {
    const length = CMAP_RUNS[i]!;
    if (CMAP_RUNS[i + 1] !== 0) table.fill(CMAP_RUNS[i + 1]!, at, at + length);
    at += length;
  }
  if (at !== 0x110000) throw new Error(`corrupt StandardTokenizer char-class table (${at} code points)`);
}

function newCharClasses(): Uint8Array {
  const table = new Uint8Array(0x110000);
  writeCharClasses(table);
  return table;
}
const rowMap = Int32Array.from(ROWMAP);
const transitions = Int32Array.from(TRANS);
const attributes = Int32Array.from(ATTRIBUTE);
const actions = Int32Array.from(ACTION);

/** Char classes: each row of the transition table has one entry per class. */
let classes = 0;
for (let i = 1; i < CMAP_RUNS.length; i += 2) classes = Math.max(classes, CMAP_RUNS[i]! + 1);

/** The scanner's tables as this file reads them, for the WebAssembly copy of the scanner (token-bags.ts; its char classes: writeCharClasses). */
export const SCANNER_TABLES = { classes, rowMap, transitions, attributes, actions, initialState: LEXSTATE_INITIAL } as const;

/** JFlex actions 2..9 return a token type (word, number, Southeast Asian, ideograph, hiragana, katakana, hangul, emoji); 1 and the rest skip. */
function emitsToken(action: number): boolean {
  return action >= 2 && action <= 9;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Calls `onToken(start, end)` (UTF-16 offsets into `text`) for every token, in order. Zero-length tokens cannot
 * occur. Positions are absolute offsets into the text: the JFlex buffer is only ever a window onto it (a refill
 * copies the characters the reader would deliver), so the window is tracked as [base, end) plus JFlex's "final
 * high surrogate" flag, and nothing is copied. Everything is inlined into one function so the scanner state
 * stays in registers.
 */
export function tokenize(text: string, onToken: (start: number, end: number) => void): void {
  const charClass = (charClasses ??= newCharClasses());
  const textLength = text.length;
  /** Text offset of buffer slot 0 (JFlex zzStartRead is start - base). */
  let base = 0;
  /** Text offset of the end of the valid buffer content (zzEndRead). The reader is at end + finalHighSurrogate. */
  let end = 0;
  let finalHighSurrogate = 0;
  let markedPos = 0;

  for (;;) {
    const start = markedPos;
    let markedPosL = start;
    let action = -1;
    let current = start;
    /** JFlex's zzCurrentPos field, which only moves at a refill. */
    let currentAtRefill = start;
    let state = LEXSTATE_INITIAL;
    if ((attributes[state]! & 1) === 1) action = state;
    let sawEof = false;
    for (;;) {
      if (current >= end) {
        // zzRefill: shift the window to the match start, then top it up to BUFFER_SIZE characters
        currentAtRefill = current;
        if (start > base) {
          end += finalHighSurrogate;
          finalHighSurrogate = 0;
          base = start;
        }
        const requested = BUFFER_SIZE - (end - base) - finalHighSurrogate;
        const numRead = Math.min(requested, textLength - end - finalHighSurrogate);
        if (requested === 0 || numRead <= 0) {
          sawEof = true;
          break;
        }
        end += numRead;
        if (isHighSurrogate(text.charCodeAt(end - 1))) {
          if (numRead === requested) {
            end--;
            finalHighSurrogate = 1;
            if (numRead === 1) {
              sawEof = true;
              break;
            }
          } else if (end >= textLength) {
            // Reader.read() returned -1: JFlex reports end of input although it just read characters
            sawEof = true;
            break;
          } else {
            end++;
          }
        }
      }
      // Character.codePointAt(zzBuffer, zzCurrentPos, zzEndRead)
      let input = text.charCodeAt(current);
      if (isHighSurrogate(input) && current + 1 < end) {
        const low = text.charCodeAt(current + 1);
        if (isLowSurrogate(low)) input = ((input - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
      }
      current += input > 0xffff ? 2 : 1;
      const next = transitions[rowMap[state]! + charClass[input]!]!;
      if (next === -1) break;
      state = next;
      const attribute = attributes[state]!;
      if ((attribute & 1) === 1) {
        action = state;
        markedPosL = current;
        if ((attribute & 8) === 8) break;
      }
    }
    markedPos = markedPosL;
    if (sawEof && start === currentAtRefill) return;
    if (action < 0) throw new Error('StandardTokenizer: no rule matched (corrupt tables?)');
    if (emitsToken(actions[action]!)) onToken(start, markedPos);
  }
}

import { ACTION, ATTRIBUTE, CMAP_RUNS, LEXSTATE_INITIAL, ROWMAP, TRANS } from './generated/lucene-tables.js';

/**
 * Lucene 8 `StandardTokenizer`: the JFlex DFA generated from Lucene's UAX #29 grammar (tables copied from the jar,
 * see generated/), driven by a scanner that reproduces the JFlex skeleton Lucene uses, including its fixed
 * 255-char buffer that never grows. That buffer is why long runs come out in 255-unit pieces and why no match can
 * look further than 255 chars past its start; both are observable in the tokens, so the window is emulated
 * exactly rather than approximated by a "split long tokens" rule.
 */

const BUFFER_SIZE = 255;

/** Char class of every code point (0..0x10FFFF); lone surrogates are looked up as themselves, as in Java. */
const charClass = (() => {
  const table = new Uint8Array(0x110000);
  let at = 0;
  for (let i = 0; i < CMAP_RUNS.length; i += 2) {
    const length = CMAP_RUNS[i]!;
    table.fill(CMAP_RUNS[i + 1]!, at, at + length);
    at += length;
  }
  if (at !== 0x110000) throw new Error(`corrupt StandardTokenizer char-class table (${at} code points)`);
  return table;
})();
const rowMap = Int32Array.from(ROWMAP);
const transitions = Int32Array.from(TRANS);
const attributes = Int32Array.from(ATTRIBUTE);
const actions = Int32Array.from(ACTION);

/** JFlex actions 2..9 return a token type (word, number, Southeast Asian, ideograph, hiragana, katakana, hangul, emoji); 1 and the rest skip. */
function emitsToken(action: number): boolean {
  return action >= 2 && action <= 9;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Calls `onToken(start, end)` (UTF-16 offsets into `text`) for every token, in order. Zero-length tokens cannot
 * occur. Buffer positions are kept relative to `base`, the text offset of buffer slot 0, because the buffer is
 * only ever a window onto the text: JFlex's refill copies the same characters the reader would deliver.
 */
export function tokenize(text: string, onToken: (start: number, end: number) => void): void {
  const textLength = text.length;
  let base = 0;
  let readerPos = 0;
  let endRead = 0;
  let startRead = 0;
  let currentPos = 0;
  let markedPos = 0;
  let finalHighSurrogate = 0;

  /** JFlex `zzRefill`: true means "no more input for this match". */
  const refill = (): boolean => {
    if (startRead > 0) {
      endRead += finalHighSurrogate;
      finalHighSurrogate = 0;
      base += startRead;
      endRead -= startRead;
      currentPos -= startRead;
      markedPos -= startRead;
      startRead = 0;
    }
    const requested = BUFFER_SIZE - endRead - finalHighSurrogate;
    if (requested === 0) return true;
    const numRead = Math.min(requested, textLength - readerPos);
    if (numRead <= 0) return true;
    readerPos += numRead;
    endRead += numRead;
    if (isHighSurrogate(text.charCodeAt(base + endRead - 1))) {
      if (numRead === requested) {
        endRead--;
        finalHighSurrogate = 1;
        if (numRead === 1) return true;
      } else {
        if (readerPos >= textLength) return true;
        readerPos++;
        endRead++;
      }
    }
    return false;
  };

  for (;;) {
    let markedPosL = markedPos;
    let action = -1;
    let currentPosL = (currentPos = startRead = markedPosL);
    let state = LEXSTATE_INITIAL;
    if ((attributes[state]! & 1) === 1) action = state;
    let sawEof = false;
    for (;;) {
      let input: number;
      if (currentPosL < endRead) {
        input = codePointAt(text, base, currentPosL, endRead);
      } else {
        currentPos = currentPosL;
        markedPos = markedPosL;
        const eof = refill();
        currentPosL = currentPos;
        markedPosL = markedPos;
        if (eof) {
          sawEof = true;
          break;
        }
        input = codePointAt(text, base, currentPosL, endRead);
      }
      currentPosL += input > 0xffff ? 2 : 1;
      const next = transitions[rowMap[state]! + charClass[input]!]!;
      if (next === -1) break;
      state = next;
      const attribute = attributes[state]!;
      if ((attribute & 1) === 1) {
        action = state;
        markedPosL = currentPosL;
        if ((attribute & 8) === 8) break;
      }
    }
    markedPos = markedPosL;
    // JFlex compares with the field currentPos, which only moves at a refill: end of input right at a match start.
    if (sawEof && startRead === currentPos) return;
    if (action < 0) throw new Error('StandardTokenizer: no rule matched (corrupt tables?)');
    if (emitsToken(actions[action]!)) onToken(base + startRead, base + markedPos);
  }
}

/** Java `Character.codePointAt(char[], index, limit)` over the buffer window. */
function codePointAt(text: string, base: number, index: number, limit: number): number {
  const unit = text.charCodeAt(base + index);
  if (isHighSurrogate(unit) && index + 1 < limit) {
    const low = text.charCodeAt(base + index + 1);
    if (isLowSurrogate(low)) return ((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
  }
  return unit;
}

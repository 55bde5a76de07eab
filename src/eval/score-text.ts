import { pythonFloatReprOf } from './python-float.js';
import { writeShortestDecimal } from './shortest-decimal.js';

/**
 * One score in the two spellings the run files use, as ASCII bytes: `trec`, JavaScript's String(score) (run.trec),
 * and `json`, Python's json.dumps(score) (score.json). Set once per score and copied into both files. A score equal
 * to the previous one (ties, common in BM25 runs) keeps its text.
 */
export class ScoreText {
  readonly trec = new Uint8Array(MAX_LENGTH);
  trecLength = 0;
  readonly json = new Uint8Array(MAX_LENGTH);
  jsonLength = 0;
  private score = NaN;

  set(score: number): void {
    // zero is excluded: 0 and -0 are equal but spelled 0.0 and -0.0 in JSON; NaN never equals itself
    if (score === this.score && score !== 0) return;
    this.score = score;
    const end = writeShortestDecimal(score, this.trec, 0);
    if (end < 0) {
      const js = String(score);
      this.trecLength = latin1(js, this.trec);
      this.jsonLength = latin1(pythonJsonFloat(score, js), this.json);
      return;
    }
    // a plain decimal: Python's repr is the same text, with `.0` added to an integral value
    const json = this.json;
    const trec = this.trec;
    let integral = true;
    for (let i = 0; i < end; i++) {
      const byte = trec[i]!;
      if (byte === 0x2e) integral = false;
      json[i] = byte;
    }
    this.trecLength = end;
    if (integral) {
      json[end] = 0x2e;
      json[end + 1] = 0x30;
      this.jsonLength = end + 2;
    } else this.jsonLength = end;
  }
}

/** json.dumps(x), given String(x): Python's repr, and NaN, Infinity and -Infinity as Python's json spells them. */
function pythonJsonFloat(x: number, js: string): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return pythonFloatReprOf(x, js);
}

/** The longest spelling: a sign, 17 digits, a point and an exponent such as e-308 ("-1.2345678901234567e-308"). */
const MAX_LENGTH = 32;

function latin1(text: string, out: Uint8Array): number {
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return text.length;
}

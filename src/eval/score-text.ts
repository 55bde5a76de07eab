import { pythonFloatReprOf } from './python-float.js';
import { writeShortestDecimal } from './shortest-decimal.js';

/**
 * One score in the two spellings the run files use, as ASCII bytes: `trec`, JavaScript's String(score) (run.trec),
 * and `json`, Python's json.dumps(score) (score.json). Set once per score and copied into both files. In the
 * plain-decimal range both are the same bytes (json with `.0` after an integral value), one buffer for the two. A
 * score equal to the previous one (ties, common in BM25 runs) keeps its text.
 */
export class ScoreText {
  private readonly shared = new Uint8Array(MAX_LENGTH);
  private readonly pythonOnly = new Uint8Array(MAX_LENGTH);
  /** The first trecLength bytes are the run.trec spelling. */
  trec = this.shared;
  trecLength = 0;
  /** The first jsonLength bytes are the score.json spelling. */
  json = this.shared;
  jsonLength = 0;
  private score = NaN;

  set(score: number): void {
    // zero is excluded: 0 and -0 are equal but spelled 0.0 and -0.0 in JSON; NaN never equals itself. Both tests
    // run on every call, and `.0` below is written whatever the score: optimised code is thrown away at the
    // first case it has not seen run (a tie, an integer), and a run's ~100k scores then went through unoptimised
    // code until it was compiled again
    const repeated = score === this.score;
    const zero = score === 0;
    if (repeated && !zero) return;
    this.score = score;
    const end = writeShortestDecimal(score, this.shared, 0);
    this.json = this.shared;
    if (end >= 0) {
      this.trecLength = end;
      // a plain decimal without a point: Python's repr adds `.0`, counted only for an integral value
      this.shared[end] = 0x2e;
      this.shared[end + 1] = 0x30;
      this.jsonLength = Number.isInteger(score) ? end + 2 : end;
      return;
    }
    const js = String(score);
    this.trecLength = latin1(js, this.shared);
    this.json = this.pythonOnly;
    this.jsonLength = latin1(pythonJsonFloat(score, js), this.pythonOnly);
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

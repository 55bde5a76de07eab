/**
 * Lucene's `PorterStemmer` (Porter 1980, "Release 3" with the `bli`->`ble` and `logi`->`log` departures), on UTF-16
 * units: vowels are a e i o u, and y after a consonant; every other unit (digits, punctuation, non-ASCII) is a
 * consonant. Words shorter than 3 units are returned unchanged. Single-threaded by design: one shared buffer.
 */

const a = 0x61, c = 0x63, e = 0x65, g = 0x67, i_ = 0x69, l = 0x6c, n = 0x6e, o = 0x6f, s = 0x73, t = 0x74;
const u = 0x75, v = 0x76, w = 0x77, x = 0x78, y = 0x79, z = 0x7a;

let word = new Uint16Array(256);
/** Last index of the word being stemmed. */
let k = 0;
/** End of the stem before a matched suffix (set by `ends`). */
let j = 0;

function isConsonant(index: number): boolean {
  switch (word[index]) {
    case a:
    case e:
    case i_:
    case o:
    case u:
      return false;
    case y:
      return index === 0 ? true : !isConsonant(index - 1);
    default:
      return true;
  }
}

/** Number of vowel-consonant sequences in word[0..j]. */
function measure(): number {
  let count = 0;
  let index = 0;
  for (;;) {
    if (index > j) return count;
    if (!isConsonant(index)) break;
    index++;
  }
  index++;
  for (;;) {
    for (;;) {
      if (index > j) return count;
      if (isConsonant(index)) break;
      index++;
    }
    index++;
    count++;
    for (;;) {
      if (index > j) return count;
      if (!isConsonant(index)) break;
      index++;
    }
    index++;
  }
}

function vowelInStem(): boolean {
  for (let index = 0; index <= j; index++) if (!isConsonant(index)) return true;
  return false;
}

function doubleConsonant(index: number): boolean {
  if (index < 1) return false;
  if (word[index] !== word[index - 1]) return false;
  return isConsonant(index);
}

/** consonant-vowel-consonant ending at `index`, the last consonant not w, x or y (restores e in cav(e), hop(e)). */
function cvc(index: number): boolean {
  if (index < 2 || !isConsonant(index) || isConsonant(index - 1) || !isConsonant(index - 2)) return false;
  const last = word[index];
  return last !== w && last !== x && last !== y;
}

function ends(suffix: string): boolean {
  const length = suffix.length;
  const offset = k - length + 1;
  if (offset < 0) return false;
  for (let index = 0; index < length; index++) if (word[offset + index] !== suffix.charCodeAt(index)) return false;
  j = k - length;
  return true;
}

function setTo(replacement: string): void {
  const offset = j + 1;
  for (let index = 0; index < replacement.length; index++) word[offset + index] = replacement.charCodeAt(index);
  k = j + replacement.length;
}

function replaceIfMeasured(replacement: string): void {
  if (measure() > 0) setTo(replacement);
}

/** Plurals, -ed, -ing. */
function step1(): void {
  if (word[k] === s) {
    if (ends('sses')) k -= 2;
    else if (ends('ies')) setTo('i');
    else if (word[k - 1] !== s) k--;
  }
  if (ends('eed')) {
    if (measure() > 0) k--;
  } else if ((ends('ed') || ends('ing')) && vowelInStem()) {
    k = j;
    if (ends('at')) setTo('ate');
    else if (ends('bl')) setTo('ble');
    else if (ends('iz')) setTo('ize');
    else if (doubleConsonant(k)) {
      const last = word[k--];
      if (last === l || last === s || last === z) k++;
    } else if (measure() === 1 && cvc(k)) setTo('e');
  }
}

/** Terminal y -> i when the stem has a vowel. */
function step2(): void {
  if (ends('y') && vowelInStem()) word[k] = i_;
}

/** Double suffixes to single ones (-ization -> -ize). */
function step3(): void {
  if (k === 0) return;
  switch (word[k - 1]) {
    case a:
      if (ends('ational')) replaceIfMeasured('ate');
      else if (ends('tional')) replaceIfMeasured('tion');
      break;
    case c:
      if (ends('enci')) replaceIfMeasured('ence');
      else if (ends('anci')) replaceIfMeasured('ance');
      break;
    case e:
      if (ends('izer')) replaceIfMeasured('ize');
      break;
    case l:
      if (ends('bli')) replaceIfMeasured('ble');
      else if (ends('alli')) replaceIfMeasured('al');
      else if (ends('entli')) replaceIfMeasured('ent');
      else if (ends('eli')) replaceIfMeasured('e');
      else if (ends('ousli')) replaceIfMeasured('ous');
      break;
    case o:
      if (ends('ization')) replaceIfMeasured('ize');
      else if (ends('ation')) replaceIfMeasured('ate');
      else if (ends('ator')) replaceIfMeasured('ate');
      break;
    case s:
      if (ends('alism')) replaceIfMeasured('al');
      else if (ends('iveness')) replaceIfMeasured('ive');
      else if (ends('fulness')) replaceIfMeasured('ful');
      else if (ends('ousness')) replaceIfMeasured('ous');
      break;
    case t:
      if (ends('aliti')) replaceIfMeasured('al');
      else if (ends('iviti')) replaceIfMeasured('ive');
      else if (ends('biliti')) replaceIfMeasured('ble');
      break;
    case g:
      if (ends('logi')) replaceIfMeasured('log');
      break;
  }
}

/** -ic-, -full, -ness. */
function step4(): void {
  switch (word[k]) {
    case e:
      if (ends('icate')) replaceIfMeasured('ic');
      else if (ends('ative')) replaceIfMeasured('');
      else if (ends('alize')) replaceIfMeasured('al');
      break;
    case i_:
      if (ends('iciti')) replaceIfMeasured('ic');
      break;
    case l:
      if (ends('ical')) replaceIfMeasured('ic');
      else if (ends('ful')) replaceIfMeasured('');
      break;
    case s:
      if (ends('ness')) replaceIfMeasured('');
      break;
  }
}

/** -ant, -ence, ... in context <c>vcvc<v>. */
function step5(): void {
  if (k === 0) return;
  let matched: boolean;
  switch (word[k - 1]) {
    case a:
      matched = ends('al');
      break;
    case c:
      matched = ends('ance') || ends('ence');
      break;
    case e:
      matched = ends('er');
      break;
    case i_:
      matched = ends('ic');
      break;
    case l:
      matched = ends('able') || ends('ible');
      break;
    case n:
      matched = ends('ant') || ends('ement') || ends('ment') || ends('ent');
      break;
    case o:
      matched = (ends('ion') && j >= 0 && (word[j] === s || word[j] === t)) || ends('ou');
      break;
    case s:
      matched = ends('ism');
      break;
    case t:
      matched = ends('ate') || ends('iti');
      break;
    case u:
      matched = ends('ous');
      break;
    case v:
      matched = ends('ive');
      break;
    case z:
      matched = ends('ize');
      break;
    default:
      matched = false;
  }
  if (matched && measure() > 1) k = j;
}

/** Final -e, and -ll -> -l, when m() > 1. */
function step6(): void {
  j = k;
  if (word[k] === e) {
    const m = measure();
    if (m > 1 || (m === 1 && !cvc(k - 1))) k--;
  }
  if (word[k] === l && doubleConsonant(k) && measure() > 1) k--;
}

export function porterStem(token: string): string {
  const length = token.length;
  if (length < 3) return token;
  if (word.length < length) word = new Uint16Array(length * 2);
  for (let index = 0; index < length; index++) word[index] = token.charCodeAt(index);
  k = length - 1;
  j = 0;
  step1();
  step2();
  step3();
  step4();
  step5();
  step6();
  // mostly a suffix was cut and the rest left alone: the stem is then a prefix of the token
  let same = 0;
  while (same <= k && word[same] === token.charCodeAt(same)) same++;
  if (same > k) return k === length - 1 ? token : token.slice(0, k + 1);
  let stem = token.slice(0, same);
  for (let index = same; index <= k; index++) stem += String.fromCharCode(word[index]!);
  return stem;
}

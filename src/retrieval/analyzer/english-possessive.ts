const APOSTROPHE = 0x27;
const RIGHT_SINGLE_QUOTATION_MARK = 0x2019;
const FULLWIDTH_APOSTROPHE = 0xff07;

/** Lucene's EnglishPossessiveFilter (runs before lowercasing): drops a trailing `'s`/`'S` in any of three apostrophes. */
export function stripPossessive(token: string): string {
  const length = token.length;
  if (length < 2) return token;
  const apostrophe = token.charCodeAt(length - 2);
  const last = token.charCodeAt(length - 1);
  if (
    (apostrophe === APOSTROPHE || apostrophe === RIGHT_SINGLE_QUOTATION_MARK || apostrophe === FULLWIDTH_APOSTROPHE) &&
    (last === 0x73 || last === 0x53)
  ) {
    return token.slice(0, length - 2);
  }
  return token;
}

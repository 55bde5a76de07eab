/** A string's UTF-16 units, lone surrogates included (`Uint16Array.from(text)` would iterate code points). */
export function unitsOf(text: string): Uint16Array<ArrayBuffer> {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

/** The string of UTF-16 units, lone surrogates included. */
export function textOf(units: Uint16Array): string {
  let text = '';
  for (let i = 0; i < units.length; i++) text += String.fromCharCode(units[i]!);
  return text;
}

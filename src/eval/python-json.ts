import { ByteText } from './byte-text.js';
import { ScoreText } from './score-text.js';

/** What Python's json module writes: strings, floats, and objects whose key order is kept (a Map or a record). */
export type PythonJsonValue = string | number | boolean | null | readonly PythonJsonValue[] | PythonJsonObject;
export type PythonJsonObject = ReadonlyMap<string, PythonJsonValue> | { readonly [key: string]: PythonJsonValue };

/**
 * Byte-for-byte `json.dump(value, f, indent=indent)` of Python 3 (ensure_ascii, ', '/': ' separators, floats as
 * repr, NaN/Infinity spelled as Python does), so BRIGHT's files and ours compare equal. Numbers are always
 * written as floats, as BRIGHT's values are. Use a Map where keys look like integers: a JS object would
 * reorder them.
 */
export function pythonJsonDump(value: PythonJsonValue, indent: number): string {
  const out = new ByteText(undefined, 1 << 16);
  const number = new ScoreText();
  const newlines: string[] = [];
  // a newline and the indentation of `depth`
  const newline = (depth: number): string => (newlines[depth] ??= `\n${' '.repeat(indent * depth)}`);
  write(value, 0);
  return out.end().toString('latin1');

  function write(item: PythonJsonValue, depth: number): void {
    if (typeof item === 'string') appendJsonString(out, item);
    else if (typeof item === 'number') {
      number.set(item);
      out.bytes(number.json, number.jsonLength);
    } else if (item === null) out.text('null');
    else if (typeof item === 'boolean') out.text(item ? 'true' : 'false');
    else if (Array.isArray(item)) {
      if (item.length === 0) {
        out.text('[]');
        return;
      }
      const inner = newline(depth + 1);
      for (let index = 0; index < item.length; index++) {
        out.text(index === 0 ? '[' : ',');
        out.text(inner);
        write(item[index] as PythonJsonValue, depth + 1);
      }
      out.text(newline(depth));
      out.byte(0x5d);
    } else {
      const inner = newline(depth + 1);
      let first = true;
      const member = (child: PythonJsonValue, key: string): void => {
        out.text(first ? '{' : ',');
        first = false;
        out.text(inner);
        appendJsonString(out, key);
        out.text(': ');
        write(child, depth + 1);
      };
      if (item instanceof Map) (item as ReadonlyMap<string, PythonJsonValue>).forEach(member);
      else for (const key of Object.keys(item)) member((item as Record<string, PythonJsonValue>)[key]!, key);
      if (first) {
        out.text('{}');
        return;
      }
      out.text(newline(depth));
      out.byte(0x7d);
    }
  }
}

/** pythonJsonString(text), written without building a new string for printable ASCII without quote or backslash. */
export function appendJsonString(out: ByteText, text: string): void {
  out.byte(0x22);
  appendJsonEscaped(out, text);
  out.byte(0x22);
}

/** pythonJsonEscape(text), likewise. */
export function appendJsonEscaped(out: ByteText, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || unit > 0x7e || unit === 0x22 || unit === 0x5c) {
      out.text(pythonJsonEscape(text));
      return;
    }
  }
  out.text(text);
}

const shortEscapes: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

/** json.dumps(s) with ensure_ascii: everything outside printable ASCII as \uXXXX (lowercase hex, UTF-16 units). */
export function pythonJsonString(text: string): string {
  return `"${pythonJsonEscape(text)}"`;
}

/** pythonJsonString without the quotes. */
export function pythonJsonEscape(text: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x20 && unit <= 0x7e && unit !== 0x22 && unit !== 0x5c) continue;
    out += text.slice(start, i) + (shortEscapes[unit] ?? `\\u${unit.toString(16).padStart(4, '0')}`);
    start = i + 1;
  }
  return out + text.slice(start);
}

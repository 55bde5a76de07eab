import { pythonFloatRepr, pythonFloatReprOf } from './python-float.js';

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
  const parts: string[] = [];
  write(value, 0);
  return parts.join('');

  function write(item: PythonJsonValue, depth: number): void {
    if (typeof item === 'string') parts.push(pythonJsonString(item));
    else if (typeof item === 'number') parts.push(pythonJsonFloat(item));
    else if (item === null) parts.push('null');
    else if (typeof item === 'boolean') parts.push(item ? 'true' : 'false');
    else if (Array.isArray(item)) {
      if (item.length === 0) {
        parts.push('[]');
        return;
      }
      const inner = `\n${' '.repeat(indent * (depth + 1))}`;
      parts.push('[');
      item.forEach((child, index) => {
        parts.push(index === 0 ? inner : `,${inner}`);
        write(child as PythonJsonValue, depth + 1);
      });
      parts.push(`\n${' '.repeat(indent * depth)}]`);
    } else {
      const entries = item instanceof Map ? [...item.entries()] : Object.entries(item as Record<string, PythonJsonValue>);
      if (entries.length === 0) {
        parts.push('{}');
        return;
      }
      const inner = `\n${' '.repeat(indent * (depth + 1))}`;
      parts.push('{');
      entries.forEach(([key, child], index) => {
        parts.push(index === 0 ? inner : `,${inner}`, pythonJsonString(key), ': ');
        write(child as PythonJsonValue, depth + 1);
      });
      parts.push(`\n${' '.repeat(indent * depth)}}`);
    }
  }
}

/** json.dumps of a float; `js` may pass String(x) when the caller has it already (see pythonFloatReprOf). */
export function pythonJsonFloat(x: number, js?: string): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return js === undefined ? pythonFloatRepr(x) : pythonFloatReprOf(x, js);
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

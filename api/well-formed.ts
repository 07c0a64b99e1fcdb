/**
 * Text a client gives (names, conversation ids, content, config) must be
 * well-formed UTF-16: a lone surrogate ("\ud800" in JSON, or protobuf
 * bytes that decode to one) would be stored and sent on, and later break
 * every strict JSON or UTF-8 reader of logs, dead letters and the fleet
 * store. It is refused at the API, naming where it is.
 */
import { InvalidArgumentError } from '../runtime/errors.js';

/** Throws INVALID_ARGUMENT when a string in `value` (keys included, at any depth) holds a lone surrogate. */
export function assertWellFormed(value: unknown, field: string): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw loneSurrogate(field, value);
    return;
  }
  if (typeof value !== 'object') return;
  // Iterative: a deeply nested JSON value must not overflow the stack here.
  const stack: [unknown, string][] = [[value, field]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) throw loneSurrogate(path, v);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${path}[${i}]`]));
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      for (const [k, item] of Object.entries(v)) {
        if (!k.isWellFormed()) throw loneSurrogate(`${path} (a key)`, k);
        stack.push([item, `${path}.${k}`]);
      }
    }
  }
}

function loneSurrogate(field: string, text: string): InvalidArgumentError {
  let at = 0;
  for (; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (c >= 0xd800 && c <= 0xdbff && at + 1 < text.length && (text.charCodeAt(at + 1) & 0xfc00) === 0xdc00) at++;
    else if (c >= 0xd800 && c <= 0xdfff) break;
  }
  const unit = text.charCodeAt(at).toString(16);
  return new InvalidArgumentError(field, `holds a lone UTF-16 surrogate (\\u${unit} at index ${at}), which is not text and would break JSON and UTF-8 readers`,
    'Send well-formed Unicode: a surrogate (\\ud800-\\udfff) must be half of a pair; to carry arbitrary bytes, encode them (base64) first.');
}

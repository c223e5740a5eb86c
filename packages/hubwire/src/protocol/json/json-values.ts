/**
 * Payload values (arguments, results, stream items) as the JSON hub protocol writes them:
 * binary values as base64 strings, as System.Text.Json writes `byte[]`.
 * @module
 */

// Nesting deeper than this is not walked: such a value takes the replacer path, correct at any depth.
const MAX_WALK_DEPTH = 32;

/** The bytes of a binary value as base64, or undefined when `value` is not binary. */
function base64Of(value: unknown): string | undefined {
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString('base64');
  return undefined;
}

/**
 * JSON.stringify's replacer for binary values. It also looks at the property on its holder
 * (`this`), because `Buffer.prototype.toJSON` has already turned a Buffer into
 * `{type:'Buffer',data}` by the time the replacer sees `value`.
 */
function binaryReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return base64Of(value) ?? base64Of((this as Record<string, unknown>)[key]) ?? value;
}

/**
 * What plain JSON.stringify output says about binary values in it: a Buffer is written
 * `{"type":"Buffer","data":[…]}` and any other non-empty ArrayBufferView `{"0":…}` ('yes'); an
 * empty one, a DataView or an ArrayBuffer `{}`, like any empty object ('maybe'). One pass over the
 * `{` of the text; quotes inside JSON strings are escaped, so string content never says 'yes'.
 */
function binaryInText(json: string): 'yes' | 'maybe' | 'no' {
  let answer: 'maybe' | 'no' = 'no';
  for (let at = json.indexOf('{'); at !== -1; at = json.indexOf('{', at + 1)) {
    const next = json.charCodeAt(at + 1);
    if (next === 0x7d /* } */) answer = 'maybe';
    else if (next === 0x22 /* " */ && (json.startsWith('0":', at + 2) || json.startsWith('type":"Buffer"', at + 2))) return 'yes';
  }
  return answer;
}

/**
 * Whether `value` holds a binary value, or an object with a `toJSON` of its own (which could
 * return one). Dates are fine as they are.
 */
function holdsBinary(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_WALK_DEPTH || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsBinary(value[i], depth + 1)) return true;
    return false;
  }
  if (value instanceof Date) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const key in value) if (holdsBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * `value` as JSON text, the way ASP.NET's System.Text.Json writes the equivalent .NET value: a
 * `Uint8Array`/`Buffer` — any ArrayBufferView, and an ArrayBuffer: the values MessagePack writes
 * as `bin` — becomes a base64 string instead of `{"0":1,…}` or `{"type":"Buffer",…}`; a `Date`
 * its ISO-8601 string (its own `toJSON`); `undefined` becomes `null`, as inside an array.
 *
 * JSON.stringify with a replacer is about twice as slow on every payload, so the value is
 * stringified plainly and written again with the replacer only when the text shows a binary value
 * (when it shows just an empty object, a walk of the value decides). Measured in
 * bench/micro/json-values.ts; figures in docs/protocol.md.
 *
 * @example
 * ```ts
 * jsonValue([Buffer.from([1, 2, 3]), new Date(0)]); // '["AQID","1970-01-01T00:00:00.000Z"]'
 * ```
 */
export function jsonValue(value: unknown): string {
  const plain = JSON.stringify(value);
  if (plain === undefined) return 'null';
  const binary = binaryInText(plain);
  if (binary === 'no' || (binary === 'maybe' && !holdsBinary(value, 0))) return plain;
  return JSON.stringify(value, binaryReplacer);
}

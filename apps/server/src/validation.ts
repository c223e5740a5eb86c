/**
 * Checking REST bodies (and hub arguments): each reader returns the typed value or throws
 * {@link BadRequest} naming the field, which the router answers `400 {"error", "field"}`.
 *
 * @example
 * ```ts
 * const body = objectBody(request.body);
 * const title = requiredString(body, 'title', { max: 200 });
 * const severity = optionalOneOf(body, 'severity', ['info', 'warning'] as const) ?? 'info';
 * ```
 * @module
 */
import { HubError } from 'hubwire';
import { BadRequest } from './app-context.js';

/** A JSON object body (fields are read from it). */
export type Fields = Readonly<Record<string, unknown>>;

/**
 * The body as an object; 400 naming `field` (default `body`) when it is missing or not an
 * object. Hub methods pass the argument's name.
 */
export function objectBody(body: unknown, field = 'body'): Fields {
  if (body === undefined || body === null) throw new BadRequest(field, `A JSON object ${field} is required.`);
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(field, `The ${field} must be a JSON object.`);
  return body as Fields;
}

interface StringRules {
  /** Longest accepted length (characters). Default 1000. */
  readonly max?: number;
  readonly pattern?: RegExp;
  /** Completes "must be …" when `pattern` fails. */
  readonly patternText?: string;
}

function checkString(field: string, value: unknown, rules: StringRules): string {
  if (typeof value !== 'string') throw new BadRequest(field, `'${field}' must be a string.`);
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new BadRequest(field, `'${field}' must not be empty.`);
  const max = rules.max ?? 1000;
  if (trimmed.length > max) throw new BadRequest(field, `'${field}' must be at most ${max} characters.`);
  if (rules.pattern !== undefined && !rules.pattern.test(trimmed)) throw new BadRequest(field, `'${field}' must be ${rules.patternText ?? `like ${rules.pattern}`}.`);
  return trimmed;
}

/** A required non-empty string (trimmed). */
export function requiredString(fields: Fields, field: string, rules: StringRules = {}): string {
  if (fields[field] === undefined || fields[field] === null) throw new BadRequest(field, `'${field}' is required.`);
  return checkString(field, fields[field], rules);
}

/** An optional non-empty string (trimmed); undefined when absent or null. */
export function optionalString(fields: Fields, field: string, rules: StringRules = {}): string | undefined {
  const value = fields[field];
  return value === undefined || value === null ? undefined : checkString(field, value, rules);
}

interface NumberRules {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

function checkNumber(field: string, value: unknown, rules: NumberRules): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequest(field, `'${field}' must be a number.`);
  if (rules.integer && !Number.isInteger(value)) throw new BadRequest(field, `'${field}' must be an integer.`);
  if (rules.min !== undefined && value < rules.min) throw new BadRequest(field, `'${field}' must be at least ${rules.min}.`);
  if (rules.max !== undefined && value > rules.max) throw new BadRequest(field, `'${field}' must be at most ${rules.max}.`);
  return value;
}

/** A required finite number. */
export function requiredNumber(fields: Fields, field: string, rules: NumberRules = {}): number {
  if (fields[field] === undefined || fields[field] === null) throw new BadRequest(field, `'${field}' is required.`);
  return checkNumber(field, fields[field], rules);
}

/** An optional finite number; undefined when absent or null. */
export function optionalNumber(fields: Fields, field: string, rules: NumberRules = {}): number | undefined {
  const value = fields[field];
  return value === undefined || value === null ? undefined : checkNumber(field, value, rules);
}

/** A required value out of `values`. */
export function requiredOneOf<T extends string>(fields: Fields, field: string, values: readonly T[]): T {
  const value = fields[field];
  if (value === undefined || value === null) throw new BadRequest(field, `'${field}' is required.`);
  return checkOneOf(field, value, values);
}

/** An optional value out of `values`; undefined when absent or null. */
export function optionalOneOf<T extends string>(fields: Fields, field: string, values: readonly T[]): T | undefined {
  const value = fields[field];
  return value === undefined || value === null ? undefined : checkOneOf(field, value, values);
}

function checkOneOf<T extends string>(field: string, value: unknown, values: readonly T[]): T {
  if (typeof value !== 'string' || !values.includes(value as T)) throw new BadRequest(field, `'${field}' must be one of ${values.join(', ')}.`);
  return value as T;
}

/** An optional boolean; undefined when absent or null. */
export function optionalBoolean(fields: Fields, field: string): boolean | undefined {
  const value = fields[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new BadRequest(field, `'${field}' must be true or false.`);
  return value;
}

/**
 * An optional JSON object of small size (free-form details); undefined when absent or null.
 * Nested fields are named `field.key` in errors.
 *
 * The result holds JSON values only, so JSON and MessagePack recipients get the same thing: a
 * `Date` (a MessagePack timestamp) becomes its ISO 8601 string, binary data and non-finite
 * numbers (which JSON cannot carry) are refused.
 */
export function optionalObject(fields: Fields, field: string, maxBytes = 4096): Fields | undefined {
  const value = fields[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date || isBinary(value)) throw new BadRequest(field, `'${field}' must be a JSON object.`);
  const json = jsonValue(value, field, 0) as Fields;
  if (JSON.stringify(json).length > maxBytes) throw new BadRequest(field, `'${field}' must be at most ${maxBytes} bytes of JSON.`);
  return json;
}

/** Deeper than this is refused (the size limit would refuse it anyway; this keeps the walk bounded). */
const MAX_JSON_DEPTH = 32;

function isBinary(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** A copy of `value` with JSON values only (see {@link optionalObject}). */
function jsonValue(value: unknown, path: string, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new BadRequest(path, `'${path}' must be a finite number.`);
    return value;
  }
  if (typeof value !== 'object') throw new BadRequest(path, `'${path}' must be a JSON value.`);
  if (depth >= MAX_JSON_DEPTH) throw new BadRequest(path, `'${path}' is nested too deeply.`);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new BadRequest(path, `'${path}' must be a valid date.`);
    return value.toISOString();
  }
  if (isBinary(value)) throw new BadRequest(path, `'${path}' must not be binary data (send it as a string, e.g. base64).`);
  if (Array.isArray(value)) return value.map((item, index) => jsonValue(item ?? null, `${path}[${index}]`, depth + 1));
  // fromEntries defines own properties: a JSON key "__proto__" stays a key, not a prototype.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [key, jsonValue(item, `${path}.${key}`, depth + 1)]),
  );
}

/** A required object whose values are all finite numbers (e.g. analytics metrics). */
export function requiredNumberMap(fields: Fields, field: string, maxEntries = 50): Readonly<Record<string, number>> {
  const value = fields[field];
  if (value === undefined || value === null) throw new BadRequest(field, `'${field}' is required.`);
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadRequest(field, `'${field}' must be an object of numbers.`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw new BadRequest(field, `'${field}' must hold at least one metric.`);
  if (entries.length > maxEntries) throw new BadRequest(field, `'${field}' may hold at most ${maxEntries} metrics.`);
  for (const [key, metric] of entries) {
    if (typeof metric !== 'number' || !Number.isFinite(metric)) throw new BadRequest(`${field}.${key}`, `'${field}.${key}' must be a number.`);
  }
  return Object.fromEntries(entries) as Record<string, number>;
}

/**
 * Runs validation for a hub method: a {@link BadRequest} becomes a `HubError` the client sees
 * (`Invalid 'field': message`).
 *
 * @example
 * ```ts
 * async broadcastRevenue(update: unknown) {
 *   const revenue = hubArguments(() => parseRevenue(update));
 * }
 * ```
 */
export function hubArguments<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof BadRequest) throw new HubError(`Invalid '${error.field}': ${error.message}`);
    throw error;
  }
}

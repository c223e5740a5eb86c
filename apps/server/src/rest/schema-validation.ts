/**
 * How route schemas are checked (ajv, Fastify's validator) and how a failed check becomes the
 * app's `400 {"error", "field"}`: the field is the first failing property (`name`,
 * `metrics.views`, `items[2]`), a path parameter's or query parameter's name, or `body` for the
 * body as a whole; the text reads like the hand-written checks (`'name' is required.`).
 * @module
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../app-context.js';

/** The part of a request a schema checks, as Fastify names it. */
export type HttpPart = 'body' | 'params' | 'querystring' | 'headers';

/**
 * Bodies are checked as sent (no coercion: `"3"` is not a number, unknown fields stay); the
 * path and query, always strings on the wire, are coerced to the schema's types. Defaults are
 * filled in both. Unknown keywords (`example`) are allowed: schemas feed the OpenAPI document too.
 */
const bodies = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
const strings = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false });

/** Marks a body schema whose body may be absent (see `RouteSchema.bodyOptional`). */
export const OPTIONAL_BODY = 'x-hubwire-optional';

type Check = ((data: unknown) => boolean) & { errors?: ValidateFunction['errors'] };

/** Fastify's validator compiler for the app's routes. */
export function compileSchema({ schema, httpPart }: { schema: JsonSchema; httpPart?: string }): Check {
  const validate = (httpPart === 'body' || httpPart === undefined ? bodies : strings).compile(schema);
  if (schema[OPTIONAL_BODY] !== true) return validate;
  const check: Check = (data) => {
    // Fastify hands an absent body over as null.
    if (data === undefined || data === null) return true;
    const valid = validate(data);
    check.errors = validate.errors;
    return valid;
  };
  return check;
}

/** A failed check, as the app answers it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * The first ajv error of a failed check, named and worded for the caller.
 * @example
 * ```ts
 * fieldError('body', [{ keyword: 'required', instancePath: '', params: { missingProperty: 'name' } }], undefined);
 * // → { field: 'name', message: "'name' is required." }
 * ```
 */
export function fieldError(part: string, errors: readonly ErrorObject[], value: unknown): FieldError {
  const error = errors[0];
  if (error === undefined) return { field: part, message: `The ${part} is not valid.` };
  const path = pointerToField(error.instancePath);
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty);
    const field = join(path, missing);
    return { field, message: `'${field}' is required.` };
  }
  if (path === '') {
    if (part === 'body') {
      if (value === undefined || value === null) return { field: 'body', message: 'A JSON object body is required.' };
      if (error.keyword === 'type') return { field: 'body', message: `The body must be a JSON ${String((error.params as { type?: unknown }).type)}.` };
    }
    return { field: part, message: `The ${part} ${error.message ?? 'is not valid'}.` };
  }
  return { field: path, message: `'${path}' ${describe(error)}.` };
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${article(String(params['type']))}`;
    case 'minLength':
      return params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters`;
    case 'maxLength':
      return `must be at most ${String(params['limit'])} characters`;
    case 'minimum':
      return `must be at least ${String(params['limit'])}`;
    case 'maximum':
      return `must be at most ${String(params['limit'])}`;
    case 'enum':
      return `must be one of ${(params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'pattern':
      return 'must not be empty or malformed';
    case 'additionalProperties':
      return `must not have the field '${String(params['additionalProperty'])}'`;
    default:
      return error.message ?? 'is not valid';
  }
}

function article(type: string): string {
  const names: Record<string, string> = { string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', object: 'a JSON object', array: 'an array', null: 'null' };
  return type.split(',').map((one) => names[one] ?? one).join(' or ');
}

/** `/metrics/views` → `metrics.views`; `/items/2` → `items[2]`. */
function pointerToField(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((field, token) => (/^\d+$/.test(token) && field !== '' ? `${field}[${token}]` : join(field, token)), '');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

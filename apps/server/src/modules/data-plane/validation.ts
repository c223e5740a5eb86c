/**
 * The checks of the values a data-plane call carries, with Azure's limits. Each throws a
 * DataPlaneError `InvalidArgument` whose `target` names the value.
 * @module
 */
import { DataPlaneError } from './results.js';

/** A message to clients: Azure's `PayloadMessage`. */
export interface PayloadMessage {
  /** The client method to invoke. */
  readonly target: string;
  readonly arguments: readonly unknown[];
}

/**
 * The body of a send, checked: `{ "target": "method", "arguments": [...] }` (`arguments` may be
 * left out). Other fields are ignored.
 *
 * @example
 * ```ts
 * parsePayload({ target: 'newMessage', arguments: ['hello'] }); // { target: 'newMessage', arguments: ['hello'] }
 * ```
 */
export function parsePayload(body: unknown, field = 'payload'): PayloadMessage {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid(field, 'The payload must be a JSON object { "target": "...", "arguments": [...] }.');
  const { target, arguments: args } = body as { target?: unknown; arguments?: unknown };
  if (typeof target !== 'string' || target.length === 0) throw invalid(`${field}.target`, 'The payload needs a non-empty string "target" (the client method).');
  if (args !== undefined && args !== null && !Array.isArray(args)) throw invalid(`${field}.arguments`, 'The payload\'s "arguments" must be an array.');
  return { target, arguments: Array.isArray(args) ? args : [] };
}

/** A group name: 1 to 1024 characters, not only whitespace (Azure's rule). */
export function checkGroup(group: unknown, field = 'group'): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > 1024 || /^\s+$/.test(group)) {
    throw invalid(field, 'A group name has 1 to 1024 characters and is not only whitespace.');
  }
  return group;
}

/** A user id or connection id: a non-empty string. */
export function checkId(value: unknown, field: 'user' | 'connectionId'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, `The ${field === 'user' ? 'user id' : 'connection id'} must be a non-empty string.`);
  return value;
}

/** The `excluded` connection ids (repeated query parameters); none when absent. */
export function checkExcluded(excluded: readonly string[] | undefined): readonly string[] {
  if (excluded === undefined) return [];
  if (!Array.isArray(excluded) || excluded.some((id) => typeof id !== 'string')) throw invalid('excluded', 'excluded must be a list of connection ids.');
  return excluded.filter((id) => id !== '');
}

/** An optional close reason: at most 1024 characters. */
export function checkReason(reason: string | undefined): string | undefined {
  if (reason === undefined || reason === '') return undefined;
  if (typeof reason !== 'string' || reason.length > 1024) throw invalid('reason', 'A close reason has at most 1024 characters.');
  return reason;
}

/** An integer query value in [min, max], or undefined when absent. */
export function checkInteger(value: number | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(field, `${field} must be an integer from ${min} to ${max}.`);
  return value;
}

/** An Idempotency-Key header value: 1 to 255 printable ASCII characters. */
export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw invalid('Idempotency-Key', 'An Idempotency-Key has 1 to 255 printable ASCII characters.');
  return key;
}

function invalid(target: string, message: string): DataPlaneError {
  return new DataPlaneError('InvalidArgument', message, target);
}

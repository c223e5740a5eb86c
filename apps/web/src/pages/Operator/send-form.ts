/**
 * The test-message form of the operator console: what was typed (hub, target kind and value,
 * method, arguments as JSON) turned into `POST /api/operator/hubs/{hub}/send`, or the fields at
 * fault. The server checks again (and answers 404 for a hub or connection it does not know).
 * @module
 */
import type { SendRequest, SendTarget } from './operator-api';

export type TargetKind = 'all' | 'group' | 'user' | 'connection';

export const TARGET_KINDS: readonly TargetKind[] = ['connection', 'user', 'group', 'all'];

/** What the form holds. */
export interface SendFields {
  readonly hub: string;
  readonly targetKind: TargetKind;
  /** The group, user or connection id (ignored for `all`). */
  readonly targetValue: string;
  readonly method: string;
  /** A JSON array of the arguments; empty for none. */
  readonly args: string;
}

/** The server's limits (schemas.ts of the operator module). */
export const MAX_NAME = 1024;
export const MAX_METHOD = 256;
export const MAX_ARGS = 100;

export type SendResult = { readonly ok: true; readonly hub: string; readonly request: SendRequest } | { readonly ok: false; readonly errors: Readonly<Partial<Record<keyof SendFields, string>>> };

function targetOf(kind: TargetKind, value: string): SendTarget {
  switch (kind) {
    case 'all':
      return { all: true };
    case 'group':
      return { group: value };
    case 'user':
      return { user: value };
    case 'connection':
      return { connection: value };
  }
}

/** The request of `fields`, or what is wrong with them. */
export function buildSendRequest(fields: SendFields): SendResult {
  const errors: Partial<Record<keyof SendFields, string>> = {};
  const hub = fields.hub.trim();
  if (hub === '') errors.hub = 'Choose a hub.';
  // Group names may carry spaces at their ends on the server; only an empty one is refused here.
  const value = fields.targetKind === 'group' ? fields.targetValue : fields.targetValue.trim();
  if (fields.targetKind !== 'all') {
    if (value.trim() === '') errors.targetValue = `Enter the ${fields.targetKind === 'connection' ? 'connection id' : fields.targetKind}.`;
    else if (value.length > MAX_NAME) errors.targetValue = `At most ${MAX_NAME} characters.`;
  }
  const method = fields.method.trim();
  if (method === '') errors.method = 'Enter the client method to call.';
  else if (method.length > MAX_METHOD) errors.method = `At most ${MAX_METHOD} characters.`;
  let args: unknown[] | undefined;
  const text = fields.args.trim();
  if (text !== '') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!Array.isArray(parsed)) errors.args = 'The arguments are a JSON array, e.g. ["operator", "hello"].';
      else if (parsed.length > MAX_ARGS) errors.args = `At most ${MAX_ARGS} arguments.`;
      else args = parsed;
    } catch {
      errors.args = 'The arguments are not valid JSON.';
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, hub, request: args === undefined ? { target: targetOf(fields.targetKind, value), method } : { target: targetOf(fields.targetKind, value), method, args } };
}

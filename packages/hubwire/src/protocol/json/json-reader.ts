/**
 * Turns one parsed JSON document into a {@link HubMessage}, with ASP.NET's validation rules and
 * its error texts (they reach clients only with detailed errors on).
 * @module
 */
import { TextDecoder } from 'node:util';
import { ProtocolError } from '../../core/errors.js';
import { MessageType, type HubMessage, type MessageHeaders } from '../messages.js';

/**
 * The fields of a hub message document. They are read by name (`doc.target`), not through a
 * helper taking the name (`doc[name]`): JSON.parse gives documents of one shape the same hidden
 * class, so named loads stay monomorphic, where one keyed load site for every field is
 * megamorphic on every message.
 */
interface Json {
  readonly type?: unknown;
  readonly invocationId?: unknown;
  readonly target?: unknown;
  readonly arguments?: unknown;
  readonly streamIds?: unknown;
  readonly headers?: unknown;
  readonly item?: unknown;
  readonly result?: unknown;
  readonly error?: unknown;
  readonly allowReconnect?: unknown;
  readonly sequenceId?: unknown;
}

// Fatal, so that invalid UTF-8 fails as in ASP.NET instead of turning into U+FFFD and being
// dispatched. One pass, measured as cheap as Buffer#toString on 100 B-10 KB messages.
// ignoreBOM keeps a leading BOM in the text, which JSON.parse rejects, as before.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes the UTF-8 text of one message, `input[start, end)`; invalid UTF-8 is a ProtocolError. */
export function decodeJsonText(input: Buffer, start: number, end: number): string {
  try {
    return utf8.decode(input.subarray(start, end));
  } catch {
    throw new ProtocolError('Cannot transcode invalid UTF-8 JSON text to UTF-16 string.', 'InvalidOperationException');
  }
}

function missing(name: string): ProtocolError {
  return new ProtocolError(`Missing required property '${name}'.`);
}

/** A target or an id a message cannot do without; as in ASP.NET's binding, empty counts as missing. */
function requireString(value: unknown, name: string): string {
  if (value === undefined || value === null) throw missing(name);
  if (typeof value !== 'string') throw new ProtocolError(`Expected '${name}' to be of type String.`);
  if (value === '') throw missing(name);
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ProtocolError(`Expected '${name}' to be of type String.`);
  return value;
}

function requireArray(value: unknown, name: string): unknown[] {
  if (value === undefined) throw missing(name);
  if (!Array.isArray(value)) throw new ProtocolError(`Expected '${name}' to be of type Array.`);
  return value;
}

function requireInteger(value: unknown, name: string): number {
  if (value === undefined) throw missing(name);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ProtocolError(`Expected '${name}' to be of type Integer.`);
  }
  return value;
}

function readHeaders(value: unknown): MessageHeaders | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError("Expected 'headers' to be of type Object.");
  }
  for (const [key, header] of Object.entries(value)) {
    if (typeof header !== 'string') throw new ProtocolError(`Expected header '${key}' to be of type String.`);
  }
  return value as MessageHeaders;
}

function readStreamIds(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((id) => typeof id !== 'string')) {
    throw new ProtocolError("Expected 'streamIds' to be an array of strings.");
  }
  return value as string[];
}

/**
 * Validates a parsed document and returns the message it encodes, or `undefined` for a message
 * type this server does not know (those are skipped, not errors).
 */
export function readJsonMessage(doc: unknown): HubMessage | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ProtocolError(`Unexpected JSON Token Type '${Array.isArray(doc) ? 'Array' : typeof doc}'. Expected a JSON Object.`);
  }
  const json = doc as Json;
  const type = requireInteger(json.type, 'type');
  switch (type) {
    case MessageType.Invocation: {
      // Checked in this order (id, target, arguments, stream ids, headers): it picks the error text.
      const invocationId = optionalString(json.invocationId, 'invocationId');
      const target = requireString(json.target, 'target');
      const args = requireArray(json.arguments, 'arguments');
      const streamIds = readStreamIds(json.streamIds);
      const headers = readHeaders(json.headers);
      // Two literals rather than a spread: every invocation passes here. No id key for fire-and-forget.
      return invocationId
        ? { type, invocationId, target, arguments: args, streamIds, headers }
        : { type, target, arguments: args, streamIds, headers };
    }
    case MessageType.StreamInvocation:
      return {
        type,
        invocationId: requireString(json.invocationId, 'invocationId'),
        target: requireString(json.target, 'target'),
        arguments: requireArray(json.arguments, 'arguments'),
        streamIds: readStreamIds(json.streamIds),
        headers: readHeaders(json.headers),
      };
    case MessageType.StreamItem:
      if (!('item' in json)) throw missing('item');
      return { type, invocationId: requireString(json.invocationId, 'invocationId'), item: json.item, headers: readHeaders(json.headers) };
    case MessageType.Completion: {
      const invocationId = requireString(json.invocationId, 'invocationId');
      const hasResult = 'result' in json;
      const error = optionalString(json.error, 'error');
      if (hasResult && error !== undefined) {
        throw new ProtocolError("The 'error' and 'result' properties are mutually exclusive.");
      }
      return { type, invocationId, hasResult, result: json.result, error, headers: readHeaders(json.headers) };
    }
    case MessageType.CancelInvocation:
      return { type, invocationId: requireString(json.invocationId, 'invocationId'), headers: readHeaders(json.headers) };
    case MessageType.Ping:
      return { type };
    case MessageType.Close: {
      const error = optionalString(json.error, 'error');
      return { type, ...(error ? { error } : {}), allowReconnect: json.allowReconnect === true };
    }
    case MessageType.Ack:
    case MessageType.Sequence:
      return { type, sequenceId: requireInteger(json.sequenceId, 'sequenceId') };
    default:
      return undefined;
  }
}

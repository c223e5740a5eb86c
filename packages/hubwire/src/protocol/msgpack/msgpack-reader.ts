/**
 * Turns one decoded MessagePack array into a {@link HubMessage}, with the validation rules and
 * error texts of ASP.NET's MessagePackHubProtocol (they reach clients only with detailed errors).
 * @module
 */
import { ProtocolError } from '../../core/errors.js';
import { MessageType, type HubMessage, type MessageHeaders } from '../messages.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;

/** Completion result kinds, as on the wire. */
const ResultKind = { Error: 1, Void: 2, NonVoid: 3 } as const;

function readFailed(field: string, as: string): ProtocolError {
  return new ProtocolError(`Reading '${field}' as ${as} failed.`);
}

/** What .NET's MessagePackReader throws when an element the message needs is missing. */
function endOfStream(): ProtocolError {
  return new ProtocolError('Unable to read beyond the end of the stream.', 'EndOfStreamException');
}

function nullOrEmpty(what: string): ProtocolError {
  return new ProtocolError(`Null or empty ${what}.`);
}

function readInt32(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) throw readFailed(field, 'Int32');
  return value;
}

function readInt64(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -INT64_LIMIT || value >= INT64_LIMIT) throw readFailed(field, 'Int64');
  return value;
}

/** A MessagePack str or nil (absent elements fail like any other type). */
function readString(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw readFailed(field, 'String');
  return value;
}

function requireString(value: unknown, field: string, what: string): string {
  const text = readString(value, field);
  if (!text) throw nullOrEmpty(what);
  return text;
}

/** True for a decoded MessagePack map (a plain object), not an array, bin, Date or ext value. */
function isMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function readHeaders(value: unknown): MessageHeaders | undefined {
  if (!isMap(value)) throw new ProtocolError("Reading map length for 'headers' failed.");
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!key) throw nullOrEmpty('key in header');
    requireString(value[key], `headers[${i}].Value`, 'value in header');
  }
  return keys.length > 0 ? (value as MessageHeaders) : undefined;
}

function readArguments(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new ProtocolError("Reading array length for 'arguments' failed.");
  return value;
}

/** Element 5 of an Invocation/StreamInvocation, read only when the array has more than 5. */
function readStreamIds(array: readonly unknown[]): string[] | undefined {
  if (array.length <= 5) return undefined;
  const value = array[5];
  if (!Array.isArray(value)) throw new ProtocolError("Reading array length for 'streamIds' failed.");
  for (const id of value) {
    if (typeof id !== 'string' && id !== null) throw readFailed('streamIds', 'String');
    if (!id) throw nullOrEmpty('value in streamIds received');
  }
  return value.length > 0 ? (value as string[]) : undefined;
}

function readInvocation(array: readonly unknown[]): HubMessage {
  const headers = readHeaders(array[1]);
  // An empty id, like a nil one, makes the call non-blocking.
  const invocationId = readString(array[2], 'invocationId');
  const target = requireString(array[3], 'target', 'target for Invocation message');
  return {
    type: MessageType.Invocation,
    ...(invocationId ? { invocationId } : {}),
    target,
    arguments: readArguments(array[4]),
    streamIds: readStreamIds(array),
    headers,
  };
}

function readStreamInvocation(array: readonly unknown[]): HubMessage {
  const headers = readHeaders(array[1]);
  const invocationId = requireString(array[2], 'invocationId', 'invocation ID for StreamInvocation message');
  const target = requireString(array[3], 'target', 'target for StreamInvocation message');
  return { type: MessageType.StreamInvocation, invocationId, target, arguments: readArguments(array[4]), streamIds: readStreamIds(array), headers };
}

function readCompletion(array: readonly unknown[]): HubMessage {
  const headers = readHeaders(array[1]);
  const invocationId = requireString(array[2], 'invocationId', 'invocation ID for Completion message');
  const kind = readInt32(array[3], 'resultKind');
  switch (kind) {
    case ResultKind.Error: {
      const error = readString(array[4], 'error') ?? undefined;
      return { type: MessageType.Completion, invocationId, hasResult: false, result: undefined, error, headers };
    }
    case ResultKind.Void:
      return { type: MessageType.Completion, invocationId, hasResult: false, result: undefined, error: undefined, headers };
    case ResultKind.NonVoid:
      if (array.length < 5) throw endOfStream();
      return { type: MessageType.Completion, invocationId, hasResult: true, result: array[4], error: undefined, headers };
    default:
      throw new ProtocolError('Invalid invocation result kind.');
  }
}

function readClose(array: readonly unknown[]): HubMessage {
  const error = readString(array[1], 'error');
  let allowReconnect = false;
  if (array.length > 2) {
    if (typeof array[2] !== 'boolean') throw readFailed('allowReconnect', 'Boolean');
    allowReconnect = array[2];
  }
  return { type: MessageType.Close, ...(error ? { error } : {}), allowReconnect };
}

/**
 * Validates a decoded message body and returns the message it encodes, or `undefined` for a
 * message type this server does not know (those are skipped, not errors). Elements past the ones
 * a type defines are ignored; integers of any MessagePack width are accepted.
 */
export function readMessagePackMessage(body: unknown): HubMessage | undefined {
  if (!Array.isArray(body)) throw new ProtocolError('A hub message must be a MessagePack array.', 'MessagePackSerializationException');
  const type = readInt32(body[0], 'messageType');
  switch (type) {
    case MessageType.Invocation:
      return readInvocation(body);
    case MessageType.StreamInvocation:
      return readStreamInvocation(body);
    case MessageType.StreamItem: {
      const headers = readHeaders(body[1]);
      const invocationId = requireString(body[2], 'invocationId', 'invocation ID for StreamItem message');
      if (body.length < 4) throw endOfStream();
      return { type, invocationId, item: body[3], headers };
    }
    case MessageType.Completion:
      return readCompletion(body);
    case MessageType.CancelInvocation: {
      const headers = readHeaders(body[1]);
      return { type, invocationId: requireString(body[2], 'invocationId', 'invocation ID for CancelInvocation message'), headers };
    }
    case MessageType.Ping:
      return { type };
    case MessageType.Close:
      return readClose(body);
    case MessageType.Ack:
    case MessageType.Sequence:
      return { type, sequenceId: readInt64(body[1], 'sequenceId') };
    default:
      return undefined;
  }
}

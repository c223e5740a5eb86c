/**
 * The MessagePack array of each hub message, laid out as ASP.NET's MessagePackHubProtocol writes
 * it (the byte-level encoding is the codec's job).
 * @module
 */
import { MessageType, type HubMessage, type MessageHeaders } from '../messages.js';

/** Completion result kinds, as on the wire. */
const ERROR_RESULT = 1;
const VOID_RESULT = 2;
const NON_VOID_RESULT = 3;

const NO_HEADERS: MessageHeaders = Object.freeze({});
const NO_STREAM_IDS: readonly string[] = Object.freeze([]);

/**
 * The array for `message`: headers always present on types 1-5 (`{}` when none), Invocation
 * always with 6 elements and `nil` for a missing or empty id, Completion by result kind, Close
 * always `[7, error|nil, allowReconnect]`.
 */
export function toMessagePackArray(message: HubMessage): unknown[] {
  switch (message.type) {
    case MessageType.Invocation:
      return [
        MessageType.Invocation,
        message.headers ?? NO_HEADERS,
        message.invocationId || null,
        message.target,
        message.arguments,
        message.streamIds ?? NO_STREAM_IDS,
      ];
    case MessageType.StreamInvocation:
      return [
        MessageType.StreamInvocation,
        message.headers ?? NO_HEADERS,
        message.invocationId,
        message.target,
        message.arguments,
        message.streamIds ?? NO_STREAM_IDS,
      ];
    case MessageType.StreamItem:
      return [MessageType.StreamItem, message.headers ?? NO_HEADERS, message.invocationId, message.item];
    case MessageType.Completion: {
      const { invocationId } = message;
      const headers = message.headers ?? NO_HEADERS;
      // An empty error string would read as success to the JS client; never send one.
      if (message.error !== undefined) return [MessageType.Completion, headers, invocationId, ERROR_RESULT, message.error || 'Error'];
      if (message.hasResult) return [MessageType.Completion, headers, invocationId, NON_VOID_RESULT, message.result];
      return [MessageType.Completion, headers, invocationId, VOID_RESULT];
    }
    case MessageType.CancelInvocation:
      return [MessageType.CancelInvocation, message.headers ?? NO_HEADERS, message.invocationId];
    case MessageType.Ping:
      return [MessageType.Ping];
    case MessageType.Close:
      return [MessageType.Close, message.error || null, message.allowReconnect === true];
    case MessageType.Ack:
    case MessageType.Sequence:
      return [message.type, message.sequenceId];
  }
}

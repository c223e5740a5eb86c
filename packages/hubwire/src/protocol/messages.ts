/**
 * The hub messages of the SignalR protocol, as plain objects shared by every hub protocol.
 * @module
 */

/** Message type numbers, as on the wire. */
export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7,
  Ack: 8,
  Sequence: 9,
} as const;

/** String→string headers some messages may carry. */
export type MessageHeaders = Record<string, string>;

/** A call of a method: client→server (hub method) or server→client (client handler). */
export interface InvocationMessage {
  readonly type: typeof MessageType.Invocation;
  /** Present when the caller awaits a Completion; absent (or empty) for fire-and-forget. */
  readonly invocationId?: string;
  readonly target: string;
  readonly arguments: readonly unknown[];
  readonly streamIds?: readonly string[];
  readonly headers?: MessageHeaders;
}

/** A call of a streaming hub method (client→server only). */
export interface StreamInvocationMessage {
  readonly type: typeof MessageType.StreamInvocation;
  readonly invocationId: string;
  readonly target: string;
  readonly arguments: readonly unknown[];
  readonly streamIds?: readonly string[];
  readonly headers?: MessageHeaders;
}

/** One item of a stream. */
export interface StreamItemMessage {
  readonly type: typeof MessageType.StreamItem;
  readonly invocationId: string;
  readonly item: unknown;
  readonly headers?: MessageHeaders;
}

/**
 * The end of an invocation or stream. `hasResult` distinguishes a method that returned a value
 * (even `null`) from a void one, which the wire encodes differently.
 */
export interface CompletionMessage {
  readonly type: typeof MessageType.Completion;
  readonly invocationId: string;
  readonly error?: string;
  readonly result?: unknown;
  readonly hasResult: boolean;
  readonly headers?: MessageHeaders;
}

/** The client cancels a server stream. */
export interface CancelInvocationMessage {
  readonly type: typeof MessageType.CancelInvocation;
  readonly invocationId: string;
  readonly headers?: MessageHeaders;
}

/** Keep-alive. */
export interface PingMessage {
  readonly type: typeof MessageType.Ping;
}

/** The end of the connection, optionally with an error and permission to reconnect. */
export interface CloseMessage {
  readonly type: typeof MessageType.Close;
  readonly error?: string;
  readonly allowReconnect?: boolean;
}

/** Stateful reconnect: the peer may drop buffered messages up to `sequenceId`. */
export interface AckMessage {
  readonly type: typeof MessageType.Ack;
  readonly sequenceId: number;
}

/** Stateful reconnect: the sequence id of the first replayed message. */
export interface SequenceMessage {
  readonly type: typeof MessageType.Sequence;
  readonly sequenceId: number;
}

/** Any hub message. */
export type HubMessage =
  | InvocationMessage
  | StreamInvocationMessage
  | StreamItemMessage
  | CompletionMessage
  | CancelInvocationMessage
  | PingMessage
  | CloseMessage
  | AckMessage
  | SequenceMessage;

/** Invocation, StreamItem, Completion, StreamInvocation and CancelInvocation get sequence numbers. */
export function isTrackable(message: HubMessage): boolean {
  return message.type <= MessageType.CancelInvocation;
}

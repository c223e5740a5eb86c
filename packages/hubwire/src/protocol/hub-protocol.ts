/**
 * The seam between bytes and hub messages. A HubProtocol parses framed input into messages and
 * writes messages as framed payloads; it knows nothing of connections or hubs.
 * @module
 */
import type { ProtocolError } from '../core/errors.js';
import type { HubMessage } from './messages.js';

/** Whether a protocol's payloads are text (JSON) or binary (MessagePack). */
export type TransferFormat = 'Text' | 'Binary';

/** The result of parsing a buffer: the whole messages found and how many bytes they used. */
export interface ParseResult {
  /** Every valid message before the end of input or the first invalid one, in order. */
  readonly messages: HubMessage[];
  /** Bytes consumed from the start of the input; the rest is an incomplete message. */
  readonly consumed: number;
  /**
   * Set when a message broke the protocol (malformed, or over `maxMessageSize`). The messages
   * before it are still returned, so they are processed before the connection closes.
   */
  readonly error?: ProtocolError;
  /** True when parsing stopped at `maxMessages` with input left over (which may hold more messages). */
  readonly limited?: boolean;
}

/** A hub protocol such as `json` or `messagepack`. */
export interface HubProtocol {
  /** The name clients ask for in the handshake (matched case-insensitively). */
  readonly name: string;
  /** The highest protocol version supported; handshakes asking for more are refused. */
  readonly version: number;
  readonly transferFormat: TransferFormat;
  /**
   * Parses every whole framed message at the start of `input`. Unknown message types are
   * skipped. Malformed input, or a framed message longer than `maxMessageSize` (or no frame end
   * within it), is reported in {@link ParseResult.error}; this method does not throw.
   *
   * `maxMessages` stops after that many framed messages (unknown types count), leaving the rest
   * of `input` unconsumed, so a connection can keep what it has not dispatched yet as bytes
   * instead of as parsed objects. Default: no limit.
   */
  parse(input: Buffer, maxMessageSize: number | null, maxMessages?: number): ParseResult;
  /** Serializes one message, framed, ready to be sent. Text protocols return a string. */
  write(message: HubMessage): Buffer | string;
}

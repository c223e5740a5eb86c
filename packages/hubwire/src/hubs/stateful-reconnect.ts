/**
 * The steps of stateful reconnect between a connection's states. With it on, a WebSocket that
 * drops does not end the connection: the connection waits up to `disconnectTimeout`, a new
 * WebSocket takes it over and is sent a Sequence and every unacknowledged message again, and on
 * the way in Acks and Sequences are applied and messages the client replays but we had processed
 * are dropped. The numbering is `MessageBuffer`'s and the sending `ConnectionOutput`'s; the
 * connection decides in which state each step may happen; this is what each step does, with its
 * counter and log line, so that the state machine reads as states and not as bookkeeping.
 * @module
 */
import type { Clock } from '../core/clock.js';
import type { ProtocolError } from '../core/errors.js';
import type { HttpConnection } from '../connections/http-connection.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { MessageType, isTrackable, type HubMessage } from '../protocol/messages.js';
import type { Transport, TransportEvents } from '../transports/transport.js';
import type { ConnectionOutput } from './connection-output.js';
import type { EndOptions, EndingConnection, EndingHost } from './connection-endings.js';
import type { MessageBuffer } from './message-buffer.js';

/** What the reconnect steps count and log with, and the clock of the wait. */
export interface ReconnectHost extends EndingHost {
  readonly clock: Clock;
}

/**
 * Version 2 over WebSockets on a connection that negotiated it turns stateful reconnect on;
 * version 1 turns it off (as ASP.NET).
 */
export function wantsStatefulReconnect(http: HttpConnection, version: number): boolean {
  return http.statefulReconnect && version >= 2 && http.transportKind === 'WebSockets';
}

/** The WebSocket dropped: keep everything and wait for the client to come back. */
export function transportLost(host: ReconnectHost, connection: EndingConnection, http: HttpConnection): void {
  http.transport = undefined;
  http.awaitingResumeSince = host.clock.now();
  host.metrics.increment('transportsLost', host.labels);
  host.logger.info({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier }, 'transport lost; waiting for the client to resume');
}

/** The client did not come back within disconnectTimeout: the connection ends, counted as a timeout. */
export function resumeExpired(host: ReconnectHost, connection: EndingConnection): EndOptions {
  host.metrics.increment('transportsExpired', host.labels);
  host.logger.info({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier }, 'the client did not resume within disconnectTimeout; ending the connection');
  return { error: new Error('The client did not resume its connection within disconnectTimeout.'), status: 'timeout' };
}

/**
 * The client's new WebSocket takes over: the old one is dropped, the new one gets Sequence, then
 * the replay, then whatever waited for Acks.
 */
export function takeOver(
  host: ReconnectHost,
  connection: EndingConnection & { transportEvents(): TransportEvents },
  http: HttpConnection,
  output: ConnectionOutput,
  protocol: HubProtocol,
  attach: (events: TransportEvents) => Transport,
): void {
  const previous = http.transport;
  const transport = attach(connection.transportEvents());
  http.transport = transport;
  http.awaitingResumeSince = undefined;
  previous?.abort();
  const replayed = output.replayTo(transport, (sequenceId) => protocol.write({ type: MessageType.Sequence, sequenceId }));
  host.metrics.increment('transportsResumed', host.labels);
  host.logger.info({ hub: host.path, connectionId: connection.connectionId, user: connection.userIdentifier, replayed }, 'client resumed (stateful reconnect)');
}

/**
 * The inbound side: applies Ack and Sequence messages and drops trackable messages the client
 * replayed but we had processed. Returns whether `message` goes on, or the error of a Sequence
 * the buffer cannot accept (the connection must end with it).
 */
export function acceptInbound(output: ConnectionOutput, replay: MessageBuffer, message: HubMessage): boolean | ProtocolError {
  switch (message.type) {
    case MessageType.Ack:
      output.acknowledge(message.sequenceId);
      return false;
    case MessageType.Sequence:
      try {
        replay.resetSequence(message.sequenceId);
      } catch (error) {
        return error as ProtocolError;
      }
      return false;
    default:
      return !isTrackable(message) || replay.receive();
  }
}

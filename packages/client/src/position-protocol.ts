/**
 * A hub protocol wrapper that sees every parsed message before the official client dispatches it,
 * so positions are tracked (and duplicates dropped) whatever handlers exist.
 * @module
 */
import { MessageType, type HubMessage, type IHubProtocol, type ILogger, type InvocationMessage } from '@microsoft/signalr';

/**
 * The target a message that must not reach handlers is rewritten to (the client registers a no-op
 * for it). Rewritten rather than removed: with stateful reconnect the official client counts the
 * invocations it receives to acknowledge them, and a removed one would skew that count.
 */
export const DROPPED_TARGET = 'hubwire.client.dropped';

/**
 * Wraps `inner`: each parsed invocation without an invocation id (a broadcast, never a client
 * result) goes through `admit`; those it refuses are rewritten to {@link DROPPED_TARGET}.
 */
export function watchInvocations(inner: IHubProtocol, admit: (message: InvocationMessage) => boolean): IHubProtocol {
  return {
    get name() {
      return inner.name;
    },
    get version() {
      return inner.version;
    },
    get transferFormat() {
      return inner.transferFormat;
    },
    parseMessages(input: string | ArrayBuffer, logger: ILogger): HubMessage[] {
      return inner.parseMessages(input, logger).map((message) => {
        if (message.type !== MessageType.Invocation || message.invocationId !== undefined || admit(message)) return message;
        const dropped: InvocationMessage = { type: MessageType.Invocation, target: DROPPED_TARGET, arguments: [] };
        return message.headers === undefined ? dropped : { ...dropped, headers: message.headers };
      });
    },
    writeMessage(message: HubMessage): string | ArrayBuffer {
      return inner.writeMessage(message);
    },
  };
}

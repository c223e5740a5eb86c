/**
 * Socket.IO v5 over Engine.IO v4, WebSocket transport only, by hand:
 * open packet `0{...}`, namespace connect `40`, events `42[...]`, acks
 * `42<id>[...]` / `43<id>[...]`, and pong `3` for every ping `2`.
 */
import type { BroadcastPayload } from '../lib/commands.js';
import { BenchConnection, excerpt, type ConnectionEvents } from './connection.js';

export class SocketIoConnection extends BenchConnection {
  private nextAckId = 0;

  constructor(port: number, events: ConnectionEvents) {
    super(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, events);
  }

  protected onOpen(): void {
    // Wait for the Engine.IO open packet.
  }

  sendEcho(value: unknown): void {
    this.sendText(`42${this.nextAckId++}${JSON.stringify(['echo', value])}`);
  }

  protected onText(text: string): void {
    switch (text[0]) {
      case '0': // Engine.IO open: connect to the default namespace
        this.sendText('40');
        return;
      case '2': // ping
        this.sendText('3');
        return;
      case '4':
        this.onSocketIoPacket(text);
        return;
      case '6': // noop
        return;
      default:
        this.events.problem(this, `unexpected Engine.IO packet: ${excerpt(text)}`);
    }
  }

  private onSocketIoPacket(text: string): void {
    switch (text[1]) {
      case '0': // namespace connected
        this.markReady();
        return;
      case '2': {
        const event = parseJson(text.slice(2));
        if (Array.isArray(event) && event[0] === 'message') this.events.broadcast(this, event[1] as BroadcastPayload);
        else this.events.problem(this, `unexpected event: ${excerpt(text)}`);
        return;
      }
      case '3': {
        const args = parseJson(text.slice(2 + ackIdLength(text, 2)));
        if (Array.isArray(args)) this.events.echoReply(this, args[0]);
        else this.events.echoReply(this, undefined, `unparsable ack: ${excerpt(text)}`);
        return;
      }
      case '4':
        this.fail(new Error(`namespace connect error: ${excerpt(text)}`));
        return;
      default:
        this.events.problem(this, `unexpected Socket.IO packet: ${excerpt(text)}`);
    }
  }
}

function ackIdLength(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  return i - from;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

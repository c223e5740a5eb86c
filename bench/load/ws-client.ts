/** Plain WebSocket, no protocol: echo replies are the message itself, broadcasts carry `seq`. */
import type { BroadcastPayload } from '../lib/commands.js';
import { BenchConnection, excerpt, type ConnectionEvents } from './connection.js';

/** ws and uWebSockets.js alike: both echo and broadcast plain JSON text. */
export class RawWsConnection extends BenchConnection {
  constructor(port: number, events: ConnectionEvents) {
    super(`ws://127.0.0.1:${port}/`, events);
  }

  protected onOpen(): void {
    this.markReady();
  }

  sendEcho(value: unknown): void {
    this.sendText(JSON.stringify(value));
  }

  protected onText(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text) as unknown;
    } catch {
      this.events.problem(this, `invalid JSON: ${excerpt(text)}`);
      return;
    }
    if (typeof message === 'object' && message !== null && 'seq' in message) {
      this.events.broadcast(this, message as BroadcastPayload);
    } else {
      this.events.echoReply(this, message);
    }
  }
}

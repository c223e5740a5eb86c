/**
 * SignalR JSON hub protocol by hand: handshake, invocations with ids, pings.
 * Skips negotiate (plain WebSocket to the hub URL, like `skipNegotiation`) unless the pool
 * negotiated first and passes the connection token (`options.query`).
 */
import type { BroadcastPayload } from '../lib/commands.js';
import { excerpt } from './connection.js';
import { HubBenchConnection, JOIN_ID } from './hub-connection.js';

export { JOIN_ID, type HubConnectOptions } from './hub-connection.js';

const RS = '\x1e';
const HANDSHAKE = `{"protocol":"json","version":1}${RS}`;
const PING = `{"type":6}${RS}`;

interface HubMessage {
  type?: number;
  target?: string;
  arguments?: unknown[];
  invocationId?: string;
  result?: unknown;
  error?: string;
}

export class SignalRConnection extends HubBenchConnection {
  protected sendHandshake(): void {
    this.sendText(HANDSHAKE);
  }

  protected sendPing(): void {
    this.sendText(PING);
  }

  protected sendJoin(group: string): void {
    this.sendText(`${JSON.stringify({ type: 1, invocationId: JOIN_ID, target: 'Join', arguments: [group] })}${RS}`);
  }

  sendEcho(value: unknown): void {
    const id = String(this.nextInvocationId++);
    this.sendText(`${JSON.stringify({ type: 1, invocationId: id, target: 'Echo', arguments: [value] })}${RS}`);
  }

  protected onText(text: string): void {
    if (!text.endsWith(RS)) {
      this.events.problem(this, `frame without trailing record separator: ${excerpt(text)}`);
      return;
    }
    const records = text.split(RS);
    for (let i = 0; i < records.length - 1; i++) {
      this.onRecord(records[i] ?? '');
    }
  }

  private onRecord(record: string): void {
    let message: HubMessage;
    try {
      message = JSON.parse(record) as HubMessage;
    } catch {
      this.events.problem(this, `invalid JSON record: ${excerpt(record)}`);
      return;
    }
    if (!this.handshakeDone) {
      this.onHandshakeResponse(message, record);
      return;
    }
    switch (message.type) {
      case 1:
        if (message.target === 'message' && Array.isArray(message.arguments)) {
          this.events.broadcast(this, message.arguments[0] as BroadcastPayload);
        } else {
          this.events.problem(this, `unexpected invocation: ${excerpt(record)}`);
        }
        return;
      case 3:
        if (message.invocationId === JOIN_ID) {
          if (message.error !== undefined) this.fail(new Error(`group join failed: ${message.error}`));
          else this.markReady();
          return;
        }
        if (message.error !== undefined) this.events.echoReply(this, undefined, message.error);
        else if (!('result' in message)) this.events.echoReply(this, undefined, `completion without result: ${excerpt(record)}`);
        else this.events.echoReply(this, message.result);
        return;
      case 6:
        return;
      case 7:
        this.events.problem(this, `server sent Close: ${excerpt(record)}`);
        return;
      default:
        this.events.problem(this, `unexpected message: ${excerpt(record)}`);
    }
  }

  private onHandshakeResponse(message: HubMessage, record: string): void {
    if ('type' in message || 'error' in message) {
      this.fail(new Error(`handshake rejected: ${excerpt(record)}`));
      return;
    }
    this.handshakeAccepted();
  }
}

/**
 * SignalR MessagePack hub protocol by hand (the format of @microsoft/signalr-protocol-msgpack):
 * a JSON text handshake naming `messagepack`, then binary frames of messages, each a MessagePack
 * array behind a varint length. Invocation `[1, {}, id, target, args]`, completion
 * `[3, {}, id, kind, result]` (kind 1 error, 2 void, 3 result), ping `[6]`, close `[7, error, …]`.
 */
import { decode, encode } from '@msgpack/msgpack';
import type { BroadcastPayload } from '../lib/commands.js';
import { excerpt } from './connection.js';
import { HubBenchConnection, JOIN_ID } from './hub-connection.js';
import { frame } from '../lib/varint-frame.js';

const RS = '\x1e';
const HANDSHAKE = `{"protocol":"messagepack","version":1}${RS}`;
const PING = frame(encode([6]));

/** The messages of one binary frame; throws on a truncated one. */
export function* messages(data: Buffer): Generator<Uint8Array> {
  let at = 0;
  while (at < data.length) {
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = data[at++] ?? 0;
      size |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && at < data.length);
    if (at + size > data.length) throw new Error(`truncated message: ${size} bytes announced, ${data.length - at} left`);
    yield data.subarray(at, at + size);
    at += size;
  }
}

export class SignalRMsgpackConnection extends HubBenchConnection {
  protected sendHandshake(): void {
    this.sendText(HANDSHAKE);
  }

  protected sendPing(): void {
    this.sendBinary(PING);
  }

  protected sendJoin(group: string): void {
    this.sendBinary(frame(encode([1, {}, JOIN_ID, 'Join', [group]])));
  }

  sendEcho(value: unknown): void {
    this.sendBinary(frame(encode([1, {}, String(this.nextInvocationId++), 'Echo', [value]])));
  }

  /** The handshake answer is JSON, in a text or (as servers send it for binary protocols) a binary frame. */
  protected onText(text: string): void {
    if (this.handshakeDone) {
      this.events.problem(this, `text frame after the handshake: ${excerpt(text)}`);
      return;
    }
    this.onHandshake(text.endsWith(RS) ? text.slice(0, -1) : text);
  }

  private onHandshake(record: string): void {
    const text = record;
    let answer: { error?: string };
    try {
      answer = JSON.parse(record) as { error?: string };
    } catch {
      this.fail(new Error(`invalid handshake response: ${excerpt(text)}`));
      return;
    }
    if (answer.error !== undefined) {
      this.fail(new Error(`handshake rejected: ${answer.error}`));
      return;
    }
    this.handshakeAccepted();
  }

  protected override onBinary(frameData: Buffer): void {
    let data = frameData;
    if (!this.handshakeDone) {
      const end = data.indexOf(0x1e);
      if (end < 0) {
        this.fail(new Error('handshake response without record separator'));
        return;
      }
      this.onHandshake(data.subarray(0, end).toString('utf8'));
      data = data.subarray(end + 1);
    }
    try {
      for (const body of messages(data)) this.onMessage(decode(body));
    } catch (error) {
      this.events.problem(this, `invalid MessagePack frame: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private onMessage(message: unknown): void {
    if (!Array.isArray(message)) {
      this.events.problem(this, `message is not an array: ${excerpt(JSON.stringify(message))}`);
      return;
    }
    switch (message[0]) {
      case 1:
        if (message[3] === 'message' && Array.isArray(message[4])) this.events.broadcast(this, message[4][0] as BroadcastPayload);
        else this.events.problem(this, `unexpected invocation: ${excerpt(JSON.stringify(message))}`);
        return;
      case 3: {
        const [, , id, kind, result] = message as [number, unknown, string, number, unknown];
        if (id === JOIN_ID) {
          if (kind === 1) this.fail(new Error(`group join failed: ${String(result)}`));
          else this.markReady();
        } else if (kind === 1) this.events.echoReply(this, undefined, String(result));
        else if (kind === 3) this.events.echoReply(this, result);
        else this.events.echoReply(this, undefined, 'completion without result');
        return;
      }
      case 6:
        return;
      case 7:
        this.events.problem(this, `server sent Close: ${String(message[1])}`);
        return;
      default:
        this.events.problem(this, `unexpected message type ${String(message[0])}`);
    }
  }
}

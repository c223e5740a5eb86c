/**
 * What the bench's two hand-written hub clients (JSON and MessagePack) share: the handshake sent
 * on open, a keep-alive ping once the handshake is accepted, and the group join that has to be
 * answered before the connection counts as open. The protocols differ only in bytes.
 */
import { BenchConnection, type ConnectionEvents } from './connection.js';

/** How a hub connection starts: a query for the socket URL (`?id=…` after negotiate), a group to join before it counts as open. */
export interface HubConnectOptions {
  query?: string;
  group?: string;
}

/** The invocation id of the group join sent after the handshake (echo ids are plain numbers). */
export const JOIN_ID = 'join';

/** The stock client pings after 15 s without sending, so the server's 30 s client timeout never fires. */
const KEEPALIVE_MS = 15_000;

export abstract class HubBenchConnection extends BenchConnection {
  protected handshakeDone = false;
  protected nextInvocationId = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly group: string | undefined;

  constructor(port: number, events: ConnectionEvents, options: HubConnectOptions = {}) {
    super(`ws://127.0.0.1:${port}/bench${options.query ?? ''}`, events);
    this.group = options.group;
  }

  /** The handshake request, in the frame kind the protocol's server expects. */
  protected abstract sendHandshake(): void;
  protected abstract sendPing(): void;
  /** `Join(group)` with invocation id {@link JOIN_ID}. */
  protected abstract sendJoin(group: string): void;

  protected onOpen(): void {
    this.sendHandshake();
  }

  /** The server accepted the handshake: keep the connection alive, then join or count as open. */
  protected handshakeAccepted(): void {
    this.handshakeDone = true;
    this.keepAlive = setInterval(() => {
      if (this.isOpen) this.sendPing();
    }, KEEPALIVE_MS);
    if (this.group === undefined) this.markReady();
    else this.sendJoin(this.group);
  }

  protected override onSocketClosed(): void {
    clearInterval(this.keepAlive);
  }
}

/**
 * One connection's side of the server heartbeat: when it started, was last heard from and last
 * written to, whether its client pings, and the send watch — and the decisions the heartbeat
 * takes from them about once a second (handshake timeout, send timeout, keep-alive ping, client
 * timeout, token expiry). The hot paths only set flags (`receivedSinceTick` here, the output's
 * `wroteSinceTick`); the clock is read once per tick, never per message. The connection acts on
 * the answers, so every decision can be checked here against plain numbers.
 * @module
 */
import type { Principal } from '../connections/http-connection.js';
import { SendWatch } from './send-watch.js';

/** The heartbeat's view of one connection. */
export class Liveness {
  readonly #startedAt: number;
  #lastReceivedAt: number;
  #lastWrittenAt: number;
  /** Set on every read; the heartbeat turns it into a time. */
  receivedSinceTick = false;
  /** The client has sent a Ping; only then is it timed out for silence. */
  clientPinged = false;
  /** Created the first time the transport is seen backed up. */
  #sendWatch: SendWatch | undefined;

  constructor(now: number) {
    this.#startedAt = this.#lastReceivedAt = this.#lastWrittenAt = now;
  }

  /** The handshake has taken `timeout` ms or more. */
  handshakeOverdue(now: number, timeout: number): boolean {
    return now - this.#startedAt >= timeout;
  }

  /**
   * How long (ms) the oldest unfinished send has waited, once that reaches `timeout`; undefined
   * otherwise. `written`: bytes handed to the transport so far; `buffered`: those it still holds.
   */
  sendStuck(now: number, timeout: number, written: number, buffered: number): number | undefined {
    if (buffered > 0 || this.#sendWatch !== undefined) {
      return (this.#sendWatch ??= new SendWatch(timeout)).check(now, written, buffered);
    }
    return undefined;
  }

  /**
   * Whether a keep-alive Ping is due: nothing was written for `interval` ms. Consumes the
   * output's `wroteSinceTick`; the caller clears it again after writing the Ping.
   */
  pingDue(now: number, output: { wroteSinceTick: boolean }, interval: number): boolean {
    if (output.wroteSinceTick) {
      output.wroteSinceTick = false;
      this.#lastWrittenAt = now;
      return false;
    }
    if (now - this.#lastWrittenAt >= interval) {
      this.#lastWrittenAt = now;
      return true;
    }
    return false;
  }

  /**
   * Whether a client that pings has been silent for `interval` ms. Silence the server caused
   * (input waiting for dispatch, reading paused: `input.behind`) is not the client's: ASP.NET
   * stops the client timeout while it dispatches.
   */
  clientSilent(now: number, input: { readonly behind: boolean }, interval: number): boolean {
    if (this.receivedSinceTick || input.behind) {
      this.receivedSinceTick = false;
      this.#lastReceivedAt = now;
      return false;
    }
    return this.clientPinged && now - this.#lastReceivedAt >= interval;
  }
}

/** Whether the user's proof of identity has run out at `now` (closeOnAuthenticationExpiration). */
export function authenticationExpired(principal: Principal | undefined, now: number): boolean {
  const expiresAt = expiryOf(principal);
  if (expiresAt === undefined || now < expiresAt) return false;
  return true;
}

/** When a user's proof of identity runs out: `expiresAt`, else a numeric JWT `exp` claim (seconds). */
function expiryOf(principal: Principal | undefined): number | undefined {
  if (principal === undefined) return undefined;
  if (principal.expiresAt !== undefined) return principal.expiresAt;
  const exp = principal.claims['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/**
 * The invocations of one connection: whether one may start (shutdown, the rate limits, upload
 * stream ids), the `maximumParallelInvocationsPerClient` slots while they run, and shutdown's
 * wait for the running ones. The slot rules are ASP.NET's and easy to get subtly wrong — a slot
 * must come back exactly once whether the method finishes synchronously, asynchronously, throws,
 * or gives it back early to await a client result — so they live apart from the connection's
 * state machine, which only asks whether a message may go next and hands it over. The connection
 * creates this on its first invocation (or drain), so idle connections do not carry it.
 * @module
 */
import { MessageType, type HubMessage, type InvocationMessage, type StreamInvocationMessage } from '../protocol/messages.js';
import { reusedStreamId, type ConnectionCalls } from './connection-calls.js';
import type { EndOptions } from './connection-endings.js';
import * as texts from './error-messages.js';
import type { InvocationSlot } from './hub-call.js';
import type { DispatchTarget, HubDispatcher } from './hub-dispatcher.js';
import { refuseOverLimit, type InvocationLimitHost, type LimitedConnection } from './invocation-limits.js';

/** What running an invocation needs from the mapped hub. */
export interface InvocationHost extends InvocationLimitHost {
  readonly dispatcher: HubDispatcher;
}

/** Plain invocations take an invocation slot; streams and invocations with uploads do not (ASP.NET). */
function takesSlot(message: HubMessage): boolean {
  return message.type === MessageType.Invocation && (message.streamIds === undefined || message.streamIds.length === 0);
}

/**
 * Whether `message`, next in line, may start now. Head-of-line blocking as in ASP.NET: with no
 * free slot, everything behind waits too. `invocations` is undefined before the first invocation.
 */
export function mayStart(invocations: ConnectionInvocations | undefined, message: HubMessage, maximum: number): boolean {
  return !takesSlot(message) || (invocations?.running ?? 0) < maximum;
}

/**
 * One taken slot. It comes back exactly once: from the dispatcher (early, before a client
 * result is awaited) or when the call has finished. An object rather than a closure per call:
 * every plain invocation takes one.
 */
class Slot implements InvocationSlot {
  #held = true;
  readonly #owner: ConnectionInvocations;
  readonly #input: { pump(): void };

  constructor(owner: ConnectionInvocations, input: { pump(): void }) {
    this.#owner = owner;
    this.#input = input;
  }

  /** Gives the slot back and lets the message behind it go. */
  release(): void {
    if (!this.free()) return;
    // Re-entrant calls (a slot given back synchronously) only mark more work for the
    // pump already running, so the stack does not grow with the queue.
    this.#input.pump();
  }

  /** Gives the slot back without pumping; false when it was back already. */
  free(): boolean {
    if (!this.#held) return false;
    this.#held = false;
    this.#owner.slotFreed();
    return true;
  }
}

/**
 * The running invocations of one connection. Every connection that invokes anything carries one,
 * so it is three fields and no private methods (those would add a brand slot to each instance).
 */
export class ConnectionInvocations {
  #running = 0;
  /** Invocations dispatched and not finished (streams excluded: closing cancels them). */
  #inFlight = 0;
  /**
   * Created by `drain()`: from then on new invocations are refused while running ones may finish,
   * and it holds whoever waits for them (one field for both, as every invoking connection has it).
   */
  #drainers: (() => void)[] | undefined;

  /** Slots taken. */
  get running(): number {
    return this.#running;
  }

  /** A slot came back (called by its {@link Slot}). */
  slotFreed(): void {
    this.#running--;
  }

  /**
   * Starts one Invocation or StreamInvocation on `target`, unless it is refused: while shutting
   * down, over a rate limit, or naming an upload stream id that is open already. A refused
   * blocking call gets an error Completion; returns how the connection ends when a refusal ends
   * it. A slot given back makes `input` pump again, since the message behind may wait for it.
   */
  start(
    target: DispatchTarget & LimitedConnection,
    message: InvocationMessage | StreamInvocationMessage,
    host: InvocationHost,
    input: { pump(): void },
    calls: ConnectionCalls | undefined,
  ): EndOptions | undefined {
    if (this.#drainers !== undefined) {
      if (message.invocationId) target.write({ type: MessageType.Completion, invocationId: message.invocationId, hasResult: false, error: texts.shuttingDown() });
      return undefined;
    }
    if (host.rateLimiter.limitsInvocations) {
      const refusal = refuseOverLimit(host, target, message.target, message.invocationId);
      if (refusal !== undefined) {
        if (refusal.kind === 'end') return refusal.end;
        target.write(refusal.completion);
        return undefined;
      }
    }
    const reused = message.streamIds === undefined ? undefined : reusedStreamId(message.streamIds, calls);
    if (reused !== undefined) {
      // A second stream under an open id would orphan the first one's method.
      if (message.invocationId) target.write({ type: MessageType.Completion, invocationId: message.invocationId, hasResult: false, error: texts.streamIdInUse(message.target, reused) });
      return undefined;
    }
    const counted = message.type === MessageType.Invocation;
    if (counted) this.#inFlight++;
    let slot: Slot | undefined;
    if (takesSlot(message)) {
      this.#running++;
      slot = new Slot(this, input);
    }
    let running: Promise<void> | undefined;
    try {
      running = host.dispatcher.invoke(target, message, slot);
    } catch (error) {
      // The dispatcher never throws by contract; if it does, the slot still comes back.
      host.logger.error({ hub: host.path, connectionId: target.connectionId, user: target.userIdentifier, err: error }, 'dispatch failed');
      running = undefined;
    }
    if (running === undefined) {
      // Finished synchronously: free the slot without pumping again; the pump that called
      // us goes on with the next message.
      slot?.free();
      if (counted && --this.#inFlight === 0) this.wakeDrainers();
      return undefined;
    }
    running
      .catch((error: unknown) => host.logger.error({ hub: host.path, connectionId: target.connectionId, user: target.userIdentifier, err: error }, 'dispatch failed'))
      .finally(() => {
        if (counted && --this.#inFlight === 0) this.wakeDrainers();
        slot?.release();
      });
    return undefined;
  }

  /**
   * Shutdown: refuse new invocations (their callers get `The server is shutting down.`) and
   * resolve once the running ones have finished (at once when none run or the connection is
   * `closed`).
   */
  drain(closed: boolean): Promise<void> {
    const drainers = (this.#drainers ??= []);
    if (this.#inFlight === 0 || closed) return Promise.resolve();
    return new Promise((resolve) => drainers.push(resolve));
  }

  /** The connection ended: nobody waits for its invocations any more. */
  wakeDrainers(): void {
    const drainers = this.#drainers;
    if (drainers !== undefined) for (const wake of drainers.splice(0)) wake();
  }
}

/**
 * A recoverable group subscription: joined now and after every reconnect from the last position
 * received, with duplicates dropped, gaps re-joined, and the group's messages held while a join
 * is under way so the replay and the live messages reach handlers once each, in order.
 * @module
 */
import type { InvocationMessage } from '@microsoft/signalr';
import { defaultPositionOf, defaultRecoveredOf, follows, type GroupPosition, type StreamPosition } from './positions.js';

/** Why a join ran. */
export type JoinReason = 'subscribe' | 'connect' | 'reconnect' | 'gap';

/** What a join did, for the subscription's callbacks. */
export interface JoinInfo {
  readonly reason: JoinReason;
  /** The position handed to `join` (undefined for a first join: nothing to recover). */
  readonly since: StreamPosition | undefined;
  /** What the answer said (`recoveredOf`); undefined when it did not say. */
  readonly recovered: boolean | undefined;
  /** Messages of the group delivered with the join (the replay). */
  readonly replayed: number;
  /** The subscription's position after the join. */
  readonly position: StreamPosition | undefined;
}

/** A jump in offsets that was not filled (accepted as it is). */
export interface GapInfo {
  readonly from: StreamPosition | undefined;
  readonly to: GroupPosition;
}

/**
 * A recoverable group subscription.
 *
 * @example
 * ```ts
 * hub.subscribe({
 *   group: `campaign:${id}`,
 *   join: (since) => hub.invoke.subscribeToCampaign(id, since?.offset),
 *   onMissed: (snapshot) => render(snapshot),
 * });
 * ```
 */
export interface SubscriptionOptions<R> {
  /** The group's name, as the server's position argument names it. */
  readonly group: string;
  /** Joins the group (a hub method of the application), passing where the client stands. */
  join(since: StreamPosition | undefined): Promise<R>;
  /** Leaves it on `unsubscribe()` (when connected). */
  leave?(): Promise<unknown>;
  /**
   * Where a join's answer says the connection stands: nothing at or below it is delivered after
   * the join (Hubwire's `recover()` sends only what is above; a snapshot covers the rest).
   * Default: its `position`, else its `lastEventSequence`.
   */
  positionOf?(result: R): StreamPosition | undefined;
  /** Whether a join's answer says it recovered. Default: its `recovered` field. */
  recoveredOf?(result: R): boolean | undefined;
  /** After every successful join. */
  onJoined?(result: R, info: JoinInfo): void;
  /** After a re-join that recovered everything missed (replayed in order). */
  onRecovered?(result: R, info: JoinInfo): void;
  /**
   * After a re-join that could not recover (the history no longer covers the gap: the server sent
   * or should send a snapshot). The group's live messages wait until it settles, so a snapshot
   * fetched here is applied before them.
   */
  onMissed?(result: R, info: JoinInfo): void | Promise<void>;
  /** A jump in offsets that stays unfilled (with `gaps: 'accept'`, or after a re-join did not fill it). */
  onGap?(gap: GapInfo): void;
  /** A join the server refused, or a callback that threw. Default: the hub's `onError`. */
  onError?(error: unknown): void;
  /**
   * What a jump in offsets does: `'rejoin'` (default) holds the message and re-joins from the last
   * position, so the server replays what is missing; `'accept'` delivers it and reports the gap
   * (for groups whose server drops messages on purpose, e.g. a `drop-oldest` slow-consumer policy).
   */
  readonly gaps?: 'rejoin' | 'accept';
  /** Messages held at most while a join is under way; more are dropped (and recovered by the next re-join). Default 10000. */
  readonly maxHeld?: number;
}

/** Counters of a subscription. */
export interface SubscriptionStats {
  /** Messages of the group handed to handlers. */
  delivered: number;
  /** Messages dropped because their offset was already passed. */
  duplicates: number;
  /** Jumps in offsets accepted unfilled. */
  gaps: number;
  /** Messages delivered with a join (the replays). */
  replayed: number;
  /** Joins started (first join, re-joins after reconnects and gaps). */
  joins: number;
  /** Messages dropped because more than `maxHeld` waited for a join. */
  overflow: number;
}

/** A subscription, as `hub.subscribe()` returns it. */
export interface Subscription<R = unknown> {
  readonly group: string;
  /** The last position received, or where the last join's answer stands; undefined before any. */
  readonly position: StreamPosition | undefined;
  /** Resolves with the first successful join's answer; rejects if the server refuses it (or on unsubscribe before). */
  readonly joined: Promise<R>;
  readonly stats: Readonly<SubscriptionStats>;
  /** Stops tracking the group and calls `leave` when connected. */
  unsubscribe(): Promise<void>;
}

/** What a subscription needs from its hub client. */
export interface SubscriptionHost {
  /** Hands a held message to the handlers. */
  deliver(message: InvocationMessage): void;
  /** Whether the connection is up (a join that failed while it is was refused by the server). */
  connected(): boolean;
  report(error: unknown, where: string): void;
  forget(subscription: GroupSubscription<any>): void;
}

interface Held {
  readonly message: InvocationMessage;
  readonly position: GroupPosition;
}

const DEFAULT_MAX_HELD = 10_000;
/** Messages of one entry remembered to tell its next message from a repeat. */
const MAX_ENTRY_MESSAGES = 64;

/** The same client call: target (as the official client matches it, case-insensitively) and arguments. */
function sameMessage(a: InvocationMessage, b: InvocationMessage): boolean {
  if (a.target.toLowerCase() !== b.target.toLowerCase() || a.arguments.length !== b.arguments.length) return false;
  try {
    return JSON.stringify(a.arguments) === JSON.stringify(b.arguments);
  } catch {
    return false;
  }
}

/** The state machine behind {@link Subscription}. */
export class GroupSubscription<R> implements Subscription<R> {
  readonly group: string;
  readonly stats: SubscriptionStats = { delivered: 0, duplicates: 0, gaps: 0, replayed: 0, joins: 0, overflow: 0 };
  readonly joined: Promise<R>;
  readonly #options: SubscriptionOptions<R>;
  readonly #host: SubscriptionHost;
  /** The last message position delivered (or covered by a join's answer). */
  #last: StreamPosition | undefined;
  /**
   * The messages delivered at `#last`'s offset: one entry may carry several messages at one
   * position, so another message there is the entry's next one unless it repeats one of these.
   * Undefined when `#last` came from a join's answer (the whole entry is covered).
   */
  #atLast: InvocationMessage[] | undefined;
  #generation = 0;
  #joining = false;
  #held: Held[] = [];
  #closed = false;
  #settle: ((outcome: { result: R } | { error: unknown }) => void) | undefined;

  constructor(options: SubscriptionOptions<R>, host: SubscriptionHost) {
    const maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD;
    if (!(Number.isSafeInteger(maxHeld) && maxHeld >= 0)) throw new RangeError(`maxHeld must be an integer >= 0, not ${String(maxHeld)}`);
    this.group = options.group;
    this.#options = options;
    this.#host = host;
    this.joined = new Promise<R>((resolve, reject) => {
      this.#settle = (outcome) => {
        this.#settle = undefined;
        if ('result' in outcome) resolve(outcome.result);
        else reject(outcome.error);
      };
    });
    // Awaiting `joined` is optional: a refusal is reported through onError as well.
    this.joined.catch(() => undefined);
  }

  get position(): StreamPosition | undefined {
    return this.#last;
  }

  /**
   * Decides, while the protocol parses, whether a message of the group reaches handlers now.
   * False: dropped as a duplicate, or held until a join settles (then delivered through the host).
   */
  admit(message: InvocationMessage, position: GroupPosition): boolean {
    if (this.#closed) return true;
    if (this.#joining) {
      this.#hold(message, position);
      return false;
    }
    const relation = this.#relation(message, position);
    if (relation === 'duplicate') {
      this.stats.duplicates++;
      return false;
    }
    if (relation === 'gap') {
      if (this.#options.gaps !== 'accept') {
        this.#hold(message, position);
        void this.join('gap');
        return false;
      }
      this.#gap(position);
    }
    this.#advance(message, position);
    return true;
  }

  /** Joins (again) from the last position. A newer join supersedes one still under way. */
  async join(reason: JoinReason): Promise<void> {
    if (this.#closed) return;
    const generation = ++this.#generation;
    // Set before anything else: the rest of the batch being parsed is held from here on.
    this.#joining = true;
    this.stats.joins++;
    const since = this.#last;
    // Never call out from inside the official client's parse loop.
    await Promise.resolve();
    // Not connected: what is held stays held, and the next connect joins (superseding this one).
    if (generation !== this.#generation || !this.#host.connected()) return;
    let result: R;
    try {
      result = await this.#options.join(since);
    } catch (error) {
      // Failed while still connected: the server refused, and what was held is delivered as it
      // is. Otherwise the connection went away: the reconnect's join replays and delivers it.
      if (generation !== this.#generation || !this.#host.connected()) return;
      this.#joining = false;
      this.#drain(undefined);
      this.#settle?.({ error });
      this.#report(error);
      return;
    }
    if (generation !== this.#generation) return;
    const position = this.#call(() => (this.#options.positionOf ?? defaultPositionOf)(result));
    const recovered = this.#call(() => (this.#options.recoveredOf ?? defaultRecoveredOf)(result));
    // The answer's position is where the server says the connection stands: nothing at or below
    // it comes (Hubwire's recover() writes only what is above), or needs to (a snapshot covers it).
    const replay = since !== undefined && recovered !== false;
    if (!replay) {
      if (since !== undefined) {
        // Not recovered: the live messages wait until the application has its snapshot.
        try {
          await this.#options.onMissed?.(result, { reason, since, recovered, replayed: 0, position });
        } catch (error) {
          this.#report(error);
        }
        if (generation !== this.#generation) return;
      }
      if (position !== undefined || since !== undefined) this.#standAt(position);
    }
    const replayed = this.#drain(replay ? (position?.offset ?? Number.MAX_SAFE_INTEGER) : undefined, replay ? position?.offset : undefined);
    // A replay ends at the answer's position, also when entries in it could not be delivered.
    if (replay && position !== undefined && follows(this.#last, position) !== 'duplicate') this.#standAt(position);
    this.#joining = false;
    this.stats.replayed += replayed;
    const info: JoinInfo = { reason, since, recovered, replayed, position: this.position };
    this.#call(() => this.#options.onJoined?.(result, info));
    if (since !== undefined && recovered === true) this.#call(() => this.#options.onRecovered?.(result, info));
    this.#settle?.({ result });
  }

  async unsubscribe(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    this.#joining = false;
    this.#held = [];
    this.#host.forget(this);
    this.#settle?.({ error: new Error(`unsubscribed from '${this.group}' before it was joined`) });
    if (this.#options.leave !== undefined && this.#host.connected()) await this.#options.leave();
  }

  #hold(message: InvocationMessage, position: GroupPosition): void {
    const maxHeld = this.#options.maxHeld ?? DEFAULT_MAX_HELD;
    if (this.#held.length >= maxHeld) {
      this.stats.overflow++;
      return;
    }
    this.#held.push({ message, position });
  }

  /**
   * Delivers what was held, in offset order, dropping what was already passed and accepting any
   * jump (the join has answered; a gap that remains, past `coveredUpTo`, is reported). Returns how
   * many messages at or below `replayUpTo` it delivered.
   */
  #drain(replayUpTo: number | undefined, coveredUpTo?: number): number {
    const held = this.#held;
    this.#held = [];
    // The server sends in order; a gap re-join holds the jumped message before its replay.
    const epoch = held[0]?.position.epoch;
    if (held.every((entry) => entry.position.epoch === epoch)) held.sort((a, b) => a.position.offset - b.position.offset);
    let replayed = 0;
    for (const { message, position } of held) {
      const relation = this.#relation(message, position);
      if (relation === 'duplicate') {
        this.stats.duplicates++;
        continue;
      }
      // A jump the recovered join's answered position covers is no gap: the server replayed
      // everything up to there that was meant for this connection (an entry sent with `except`
      // naming it leaves such a jump).
      if (relation === 'gap' && !(coveredUpTo !== undefined && position.offset <= coveredUpTo)) this.#gap(position);
      this.#advance(message, position);
      if (replayUpTo !== undefined && position.offset <= replayUpTo) replayed++;
      this.#host.deliver(message);
    }
    return replayed;
  }

  /** How a message relates to the last one: {@link follows}, and at the same offset a sibling of the same entry or a repeat. */
  #relation(message: InvocationMessage, position: GroupPosition): 'first' | 'next' | 'sibling' | 'duplicate' | 'gap' {
    const relation = follows(this.#last, position);
    if (relation !== 'duplicate' || position.offset !== this.#last!.offset || this.#atLast === undefined) return relation;
    return this.#atLast.some((seen) => sameMessage(seen, message)) ? 'duplicate' : 'sibling';
  }

  /** Stands at a position a join answered (the whole entry there is covered). */
  #standAt(position: StreamPosition | undefined): void {
    this.#last = position;
    this.#atLast = undefined;
  }

  #advance(message: InvocationMessage, position: GroupPosition): void {
    if (this.#atLast !== undefined && this.#last?.offset === position.offset) {
      if (this.#atLast.length < MAX_ENTRY_MESSAGES) this.#atLast.push(message);
    } else {
      this.#atLast = [message];
    }
    this.#last = position;
    this.stats.delivered++;
  }

  #gap(position: GroupPosition): void {
    this.stats.gaps++;
    const from = this.#last;
    this.#call(() => this.#options.onGap?.({ from, to: position }));
  }

  #call<T>(body: () => T): T | undefined {
    try {
      return body();
    } catch (error) {
      this.#report(error);
      return undefined;
    }
  }

  #report(error: unknown): void {
    if (this.#options.onError === undefined) {
      this.#host.report(error, `subscription '${this.group}'`);
      return;
    }
    try {
      this.#options.onError(error);
    } catch (thrown) {
      this.#host.report(thrown, `onError of subscription '${this.group}'`);
    }
  }
}

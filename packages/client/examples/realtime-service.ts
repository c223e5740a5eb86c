/**
 * The organization client of our users — `RealtimeService` — written with @hubwire/client over
 * the server app's `/hubs/synaxis`: a JWT from the application (asked again for every connect
 * and reconnect), organization switching, handlers that can be added and removed at any time,
 * the connection state, and exponential backoff that never gives up. The organization is a
 * recoverable subscription: it is joined again after every reconnect from the last position the
 * client received (`JoinOrganization(organizationId, fromPosition)`): the server replays what
 * it missed, once and in order, or says `recovered: false` when its history no longer covers it.
 *
 * Tested in test/client/realtime-service.test.ts against the real app; docs/client.md explains it.
 * @module
 */
import {
  connectHub,
  type GroupPosition,
  type HubClient,
  type HubClientOptions,
  type HubState,
  type JoinInfo,
  type StreamPosition,
  type Subscription,
  type Unsubscribe,
} from '@hubwire/client';

// ---- the hub's contract, as a browser app declares it (docs/hubs.md, "/hubs/synaxis") ---------

export type NotificationType = 'ProviderHealthChanged' | 'CostOptimizationApplied' | 'ModelDiscovered' | 'SecurityAlert' | 'AuditEvent';

/** Every notification: the envelope, and the fields of its type. */
export interface SynaxisNotification<T extends NotificationType = NotificationType> {
  readonly notificationId: string;
  readonly organizationId: string;
  readonly type: T;
  readonly timestamp: string;
  readonly [field: string]: unknown;
}

/** What JoinOrganization answers: where the member stands, and with a `fromPosition` whether it recovered. */
export interface JoinAnswer {
  readonly organizationId: string;
  readonly joinedAt: string;
  readonly position: GroupPosition;
  readonly recovered?: boolean;
  readonly replayed?: number;
}

export interface SynaxisServer {
  /** `fromPosition`: the last position received, `{ offset, epoch }` as it came, or null for a first join. */
  JoinOrganization(organizationId: string, fromPosition: StreamPosition | null): Promise<JoinAnswer>;
  LeaveOrganization(organizationId: string): Promise<void>;
}

export type SynaxisClient = {
  [T in NotificationType]: (notification: SynaxisNotification<T>, position?: GroupPosition) => void;
};

const NOTIFICATION_TYPES: readonly NotificationType[] = ['ProviderHealthChanged', 'CostOptimizationApplied', 'ModelDiscovered', 'SecurityAlert', 'AuditEvent'];

// ---- the service ------------------------------------------------------------------------------

/** Exponential backoff: the delays before each retry (the first one at once), then `maxMs` forever. */
export interface Backoff {
  /** Default 1000. */
  readonly initialMs?: number;
  /** Default 30000. */
  readonly maxMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** ± share of each delay, default 0.2. */
  readonly jitter?: number;
}

/** `[0, initial, initial·factor, …]` up to `max` (exclusive), then `max` forever. */
export function exponentialDelays({ initialMs = 1000, maxMs = 30_000, factor = 2 }: Backoff = {}): { delays: number[]; then: number } {
  const delays = [0];
  for (let delay = initialMs; delay < maxMs; delay *= factor) delays.push(delay);
  return { delays, then: maxMs };
}

export interface RealtimeServiceOptions {
  /** The server, e.g. `https://realtime.example.com`. */
  readonly baseUrl: string;
  /** The user's JWT: called for every connect and reconnect, so return a fresh one. */
  readonly getToken: () => string | Promise<string>;
  /** Default `/hubs/synaxis`. */
  readonly hubPath?: string;
  readonly backoff?: Backoff;
  /** Failures nobody awaits (a refused re-join after a reconnect, a throwing handler). Default: logged. */
  readonly onError?: (error: unknown) => void;
  /** More options of the connection (transport, logger, …). */
  readonly connection?: HubClientOptions;
}

type Handler = (notification: SynaxisNotification) => void;

/**
 * @example
 * ```ts
 * const realtime = new RealtimeService({ baseUrl: 'https://realtime.example.com', getToken: () => auth.token() });
 * realtime.onStateChange((state) => banner.show(state));
 * const off = realtime.on('SecurityAlert', (alert) => toast(alert.message as string));
 * await realtime.connect();
 * await realtime.switchOrganization('acme');
 * // … later
 * off();
 * await realtime.disconnect();
 * ```
 */
export class RealtimeService {
  readonly #hub: HubClient<SynaxisServer, SynaxisClient>;
  readonly #handlers = new Map<NotificationType | '*', Set<Handler>>();
  readonly #onError: (error: unknown) => void;
  readonly #joinListeners = new Set<(organizationId: string, answer: JoinAnswer, info: JoinInfo) => void>();
  #organization: { readonly id: string; readonly subscription: Subscription<JoinAnswer> } | undefined;
  /** Organizations whose notifications reach handlers: the joined one, and during a switch the next one. */
  readonly #accepted = new Set<string>();
  /** Switches run one after the other: the last one called wins. */
  #switching: Promise<unknown> = Promise.resolve();

  constructor(options: RealtimeServiceOptions) {
    const { jitter = 0.2 } = options.backoff ?? {};
    this.#onError = options.onError ?? ((error) => console.error('RealtimeService:', error));
    this.#hub = connectHub<SynaxisServer, SynaxisClient>(`${options.baseUrl.replace(/\/$/, '')}${options.hubPath ?? '/hubs/synaxis'}`, {
      ...options.connection,
      accessTokenFactory: options.getToken,
      reconnect: { ...exponentialDelays(options.backoff), jitter },
      autoStart: false,
      onError: (error) => this.#onError(error),
    });
    // One handler per notification type for the hub's lifetime; the service's own handlers come
    // and go in #handlers, before or after connect.
    for (const type of NOTIFICATION_TYPES) this.#hub.on[type]((notification) => this.#dispatch(type, notification));
  }

  get state(): HubState {
    return this.#hub.state;
  }

  /** The organization joined, or null (during a switch: the one being left until the next is joined). */
  get organizationId(): string | null {
    return this.#organization?.id ?? null;
  }

  onStateChange(listener: (state: HubState) => void): Unsubscribe {
    return this.#hub.onStateChange((state) => listener(state));
  }

  /** Handles one notification type of the current organization; returns the unsubscribe function. */
  on<T extends NotificationType>(type: T, handler: (notification: SynaxisNotification<T>) => void): Unsubscribe {
    return this.#add(type, handler as Handler);
  }

  /** Handles every notification of the current organization. */
  onAny(handler: (notification: SynaxisNotification) => void): Unsubscribe {
    return this.#add('*', handler);
  }

  /**
   * Called after every join of an organization: the switch itself and each re-join after a
   * reconnect (`info.reason` says which; `info.recovered === false` means notifications were
   * missed beyond the server's history: reload what the screen shows).
   */
  onJoined(listener: (organizationId: string, answer: JoinAnswer, info: JoinInfo) => void): Unsubscribe {
    const own = (organizationId: string, answer: JoinAnswer, info: JoinInfo) => listener(organizationId, answer, info);
    this.#joinListeners.add(own);
    return () => void this.#joinListeners.delete(own);
  }

  /** Connects, retrying with the backoff until it succeeds (or `disconnect()`). */
  connect(): Promise<void> {
    return this.#hub.start();
  }

  /**
   * Joins `organizationId` (members only) and then leaves the previous one; `null` leaves it.
   * When the join is refused the previous organization stays joined and this rejects.
   */
  switchOrganization(organizationId: string | null): Promise<JoinAnswer | undefined> {
    const switched = this.#switching.then(() => this.#switch(organizationId));
    this.#switching = switched.catch(() => undefined);
    return switched;
  }

  /** Disconnects; `connect()` may be called again (the organization is joined again then). */
  disconnect(): Promise<void> {
    return this.#hub.stop();
  }

  async #switch(organizationId: string | null): Promise<JoinAnswer | undefined> {
    const previous = this.#organization;
    if (previous?.id === organizationId) return previous === undefined ? undefined : previous.subscription.joined;
    if (organizationId === null) {
      this.#organization = undefined;
      this.#accepted.clear();
      await previous?.subscription.unsubscribe();
      return undefined;
    }
    const hub = this.#hub;
    let joined = false;
    const subscription = hub.subscribe<JoinAnswer>({
      group: `org:${organizationId}`,
      // A first join sends no position: the server adds the member live from now and answers
      // where the organization's history stands.
      join: async (since) => {
        const answer = await hub.invoke.JoinOrganization(organizationId, since ?? null);
        joined = true;
        return answer;
      },
      leave: async () => {
        if (joined) await hub.invoke.LeaveOrganization(organizationId);
      },
      onJoined: (answer, info) => {
        for (const listener of [...this.#joinListeners]) listener(organizationId, answer, info);
      },
    });
    this.#accepted.add(organizationId);
    try {
      const answer = await subscription.joined;
      this.#organization = { id: organizationId, subscription };
      if (previous !== undefined) this.#accepted.delete(previous.id);
      await previous?.subscription.unsubscribe();
      return answer;
    } catch (error) {
      this.#accepted.delete(organizationId);
      await subscription.unsubscribe();
      throw error;
    }
  }

  #add(key: NotificationType | '*', handler: Handler): Unsubscribe {
    let handlers = this.#handlers.get(key);
    if (handlers === undefined) this.#handlers.set(key, (handlers = new Set()));
    const own: Handler = (notification) => handler(notification);
    handlers.add(own);
    return () => void handlers.delete(own);
  }

  #dispatch(type: NotificationType, notification: SynaxisNotification): void {
    // A notification of the organization just left can still be on the wire after the switch.
    if (!this.#accepted.has(notification.organizationId)) return;
    for (const key of [type, '*'] as const) {
      for (const handler of [...(this.#handlers.get(key) ?? [])]) {
        try {
          handler(notification);
        } catch (error) {
          this.#onError(error);
        }
      }
    }
  }
}

/**
 * `/hubs/events`: an anonymous stream of mock shop events.
 * @module
 */
import { Hub, type Clock } from 'hubwire';
import type { MockEvent } from './generator.js';

/** What `Connected` carries. */
export interface ConnectedInfo {
  readonly message: string;
  readonly timestamp: string;
}

/** The client methods of /hubs/events. */
export interface EventsClient {
  /** Sent to a client once, right after it connects. */
  Connected(info: ConnectedInfo): void;
  /** Every event of the background broadcaster, to every client. */
  ReceiveEvent(event: MockEvent): void;
}

/** Clients only listen; `GetRecentEvents` returns what they missed. */
export class EventsHub extends Hub<EventsClient> {
  readonly #recent: () => Promise<readonly MockEvent[]>;
  readonly #clock: Clock;

  /** `recent` gives the latest events of the stream (of the whole cluster when there is one). */
  constructor(recent: () => Promise<readonly MockEvent[]>, clock: Clock) {
    super();
    this.#recent = recent;
    this.#clock = clock;
  }

  override async onConnected(): Promise<void> {
    await this.clients.caller.Connected({ message: 'Connected to the Hubwire event stream.', timestamp: new Date(this.#clock.now()).toISOString() });
  }

  /** The latest events (up to 20), oldest first. */
  getRecentEvents(): Promise<readonly MockEvent[]> {
    return this.#recent();
  }
}

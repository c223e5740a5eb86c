/**
 * The background broadcaster of /hubs/events: waits a random delay between `minDelayMs` and
 * `maxDelayMs`, sends the generator's next event to every client, and starts over.
 * @module
 */
import type { Clock, TimerHandle } from 'hubwire';
import type { Logger } from 'pino';
import { randomInt } from '../../random.js';
import type { EventGenerator, EventType, MockEvent } from './generator.js';

/** What the simulator is built from. */
export interface EventsSimulatorOptions {
  readonly generator: EventGenerator;
  /** Sends one event to every client; resolves once it is queued. */
  readonly publish: (event: MockEvent) => Promise<void>;
  /**
   * Keeps the event (and the generator's state after it) where every node reads it, before it is
   * published: a client that gets it and asks `GetRecentEvents` on any node finds it there.
   * Never rejects. Default: nothing beyond this simulator's own recent list.
   */
  readonly record?: (event: MockEvent) => Promise<void>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly logger: Logger;
  /**
   * Checked before each scheduled event: false skips it (the node no longer leads; its lease may
   * have ended while the process was blocked, before the step-down reached `stop()`).
   */
  readonly active?: () => boolean;
  /** How many recent events to keep for `GetRecentEvents`. Default 20. */
  readonly keep?: number;
}

/** Emits mock events on a random schedule; `emit()` sends one at once. */
export class EventsSimulator {
  readonly #options: EventsSimulatorOptions;
  readonly #recent: MockEvent[] = [];
  #timer: TimerHandle | undefined;
  #running = false;
  #sent = 0;

  constructor(options: EventsSimulatorOptions) {
    this.#options = options;
  }

  /** Whether the schedule runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Events sent so far. */
  get sent(): number {
    return this.#sent;
  }

  /** The latest events, oldest first. */
  get recent(): readonly MockEvent[] {
    return [...this.#recent];
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Generates one event (of `type`, or a random one), sends it and resolves with it. */
  async emit(type?: EventType): Promise<MockEvent> {
    const event = this.#options.generator.next(type);
    this.#recent.push(event);
    if (this.#recent.length > (this.#options.keep ?? 20)) this.#recent.shift();
    this.#sent++;
    await this.#options.record?.(event);
    await this.#options.publish(event);
    return event;
  }

  #schedule(): void {
    const { clock, random, minDelayMs, maxDelayMs, logger } = this.#options;
    const delay = randomInt(random, minDelayMs, maxDelayMs);
    this.#timer = clock.setTimeout(() => {
      if (!this.#running) return;
      // The next wait starts now, so a slow publish does not stretch the schedule.
      this.#schedule();
      if (this.#options.active?.() === false) return;
      this.emit().catch((error: unknown) => logger.error({ err: error }, 'event not sent'));
    }, delay);
  }
}

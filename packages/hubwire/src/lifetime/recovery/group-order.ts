/**
 * The order in which one node hands a recoverable group's entries to its members: strictly by
 * offset, each once. Entries heard ahead of a gap are held while the gap is read from the store;
 * entries the store no longer has are skipped (members then see a jump in offsets).
 * @module
 */
import type { Logger } from '../../core/logger.js';
import type { HistoryLimits, HistoryRead, HistoryStore } from './recovery-types.js';

/** Where a {@link GroupOrder} reads and delivers. */
export interface GroupOrderContext {
  readonly group: string;
  readonly store: HistoryStore;
  readonly limits: HistoryLimits;
  /** Called for each entry, in order. Must not throw. */
  readonly deliver: (epoch: string, offset: number, payload: Buffer) => void;
  /** An entry was delivered from a store read rather than as it was heard. */
  readonly filled?: () => void;
  readonly logger?: Logger;
}

/** Store reads one gap fill or resync makes at most before it gives up on the gap. */
const MAX_ROUNDS = 16;

/**
 * Per group the node listens to: `next`, the offset expected (undefined until the first entry
 * is heard: a node that just started listening takes what comes as "now"), the epoch, and the
 * entries held beyond a gap (at most `maxCount` of them).
 *
 * @example
 * ```ts
 * const order = new GroupOrder({ group, store, limits, deliver: (epoch, offset, payload) => fanOut(offset, payload) });
 * order.receive(epoch, 7, payload); // delivered at once, or held until 6 was read from the store
 * ```
 */
export class GroupOrder {
  #epoch: string | undefined;
  #next: number | undefined;
  readonly #held = new Map<number, Buffer>();
  #pumping = false;
  #resyncWanted = false;
  #closed = false;

  constructor(readonly context: GroupOrderContext) {}

  /** The offset the node expects next; undefined before the first entry. */
  get next(): number | undefined {
    return this.#next;
  }

  get epoch(): string | undefined {
    return this.#epoch;
  }

  /** Entries held beyond a gap. */
  get held(): number {
    return this.#held.size;
  }

  /** Whether a gap fill or resync is reading the store. */
  get busy(): boolean {
    return this.#pumping;
  }

  /** An entry heard on the group's channel (or appended by this node, for the memory store). */
  receive(epoch: string, offset: number, payload: Buffer): void {
    if (this.#closed) return;
    if (this.#epoch !== epoch) {
      if (this.#epoch === undefined) {
        this.#next = offset;
      } else {
        // The history started again: what was held belongs to the old one, and the new one counts
        // from 1, so anything of it this node did not hear is read from the store.
        this.#jumpToHeld();
        this.#next = 1;
      }
      this.#epoch = epoch;
    }
    const next = this.#next!;
    if (offset < next) return;
    if (offset === next) {
      this.#deliver(offset, payload);
      this.#drainHeld();
      return;
    }
    this.#held.set(offset, payload);
    if (this.#held.size > this.context.limits.maxCount) {
      this.context.logger?.warn({ group: this.context.group, next }, 'recoverable group: too many entries held beyond a gap; skipping it');
      this.#jumpToHeld();
      return;
    }
    this.#pump();
  }

  /** The node's subscriber is back: read what it may have missed while it was away. */
  resync(): void {
    if (this.#closed || this.#next === undefined) return;
    this.#resyncWanted = true;
    this.#pump();
  }

  /** Stops: nothing more is delivered. */
  close(): void {
    this.#closed = true;
    this.#held.clear();
  }

  #deliver(offset: number, payload: Buffer): void {
    this.#next = offset + 1;
    this.context.deliver(this.#epoch!, offset, payload);
  }

  #drainHeld(): void {
    for (;;) {
      const payload = this.#held.get(this.#next!);
      if (payload === undefined) return;
      this.#held.delete(this.#next!);
      this.#deliver(this.#next!, payload);
    }
  }

  #lowestHeld(): number | undefined {
    let lowest: number | undefined;
    for (const offset of this.#held.keys()) if (lowest === undefined || offset < lowest) lowest = offset;
    return lowest;
  }

  /** Gives up on the gap below the held entries: delivers them, in order, from the lowest. */
  #jumpToHeld(): void {
    for (;;) {
      const lowest = this.#lowestHeld();
      if (lowest === undefined) return;
      if (lowest > this.#next!) this.#next = lowest;
      for (const offset of this.#held.keys()) if (offset < this.#next!) this.#held.delete(offset);
      this.#drainHeld();
    }
  }

  #pump(): void {
    if (this.#pumping) return;
    void this.#run();
  }

  async #run(): Promise<void> {
    this.#pumping = true;
    const { store, group, limits, logger } = this.context;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        if (this.#closed) return;
        const resync = this.#resyncWanted;
        const lowest = this.#lowestHeld();
        if (!resync && lowest === undefined) return;
        this.#resyncWanted = false;
        const epoch = this.#epoch!;
        const next = this.#next!;
        const limit = lowest === undefined ? limits.maxCount : Math.min(limits.maxCount, Math.max(1, lowest - next));
        let read: HistoryRead;
        try {
          read = await store.read(group, next - 1, limit, limits);
        } catch (error) {
          logger?.warn({ err: error, group }, 'recoverable group: reading the history to fill a gap failed; members skip it');
          this.#jumpToHeld();
          return;
        }
        if (this.#closed) return;
        // Heard meanwhile: another epoch reset the order; look again from where it stands now.
        if (this.#epoch !== epoch) continue;
        if (read.epoch !== epoch) {
          this.#jumpToHeld();
          this.#epoch = read.epoch;
          this.#next = 1;
          this.#resyncWanted = true;
          continue;
        }
        for (const entry of read.entries) {
          if (entry.offset < this.#next!) continue;
          this.#deliver(entry.offset, entry.payload);
          this.context.filled?.();
          this.#drainHeld();
        }
        if (read.entries.length >= limit) {
          // There may be more: read on (a resync reads until it reaches the top).
          if (resync) this.#resyncWanted = true;
        } else {
          // The store has nothing more below the held entries: they were trimmed.
          this.#jumpToHeld();
        }
      }
      logger?.warn({ group }, 'recoverable group: a gap could not be filled within the bounded number of reads; members skip it');
      this.#resyncWanted = false;
      this.#jumpToHeld();
    } finally {
      this.#pumping = false;
    }
  }
}

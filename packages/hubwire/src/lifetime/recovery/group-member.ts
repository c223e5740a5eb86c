/**
 * One local connection in one recoverable group: where it stands (the last offset written, so
 * replay and live never overlap), the live entries held for it while it recovers, and the queue
 * of a member whose connection cannot keep up, with the group's slow-consumer policy.
 * @module
 */
import type { Logger } from '../../core/logger.js';
import { labelsWith, type MetricLabels, type Metrics } from '../../core/metrics.js';
import type { LifetimeConnection } from '../hub-lifetime-manager.js';
import type { PositionedMessage } from './positioned-message.js';
import type { ResolvedGroupSpec } from './recovery-types.js';

/** An entry as a node delivers it to its members: decoded, its messages positioned once for all of them. */
export interface DeliveredEntry {
  readonly epoch: string;
  readonly offset: number;
  readonly messages: readonly PositionedMessage[];
  /** Connection ids that do not get it live; undefined when none. */
  readonly except: ReadonlySet<string> | undefined;
}

const NO_LABELS: MetricLabels = Object.freeze({});

/** `{ ...labels, [label]: value }` for a member's counters (built once per value). */
function labelled(context: MemberContext, label: string, value: string): MetricLabels {
  return labelsWith(context.labels ?? NO_LABELS, label, value);
}

/** What members report to: the host's metrics and logger. */
export interface MemberContext {
  readonly metrics: Metrics | undefined;
  readonly labels: MetricLabels | undefined;
  readonly logger: Logger | undefined;
}

/**
 * A member of a recoverable group on this node.
 *
 * - live: each entry past `lastOffset` is written (or queued, when the connection is slow);
 * - recovering: entries are held in `pending` until {@link GroupMember.release};
 * - slow: while the connection's backlog is over `highWaterMark`, messages queue (at most
 *   `maxQueued`, then the policy acts) and one drain loop writes them once the backlog fell to half.
 *   Nothing here awaits in the delivery path, so one slow member never delays the others.
 */
export class GroupMember {
  /** The last offset written (or skipped as known) in `lastEpoch`; entries at or below it are dropped. */
  lastOffset = 0;
  lastEpoch: string | undefined;
  /** Set by `recover()` while it reads and replays; live entries then wait in `#pending`. */
  recovering = false;
  #pending: DeliveredEntry[] = [];
  #queue: PositionedMessage[] = [];
  #draining = false;
  #closed = false;

  constructor(
    readonly connection: LifetimeConnection,
    readonly spec: ResolvedGroupSpec,
    readonly context: MemberContext,
  ) {}

  /** Whether the member was closed (it left, or was disconnected as slow). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Messages waiting for a slow connection. */
  get queued(): number {
    return this.#queue.length;
  }

  /** A live entry reached the node: write it, or hold it while the member recovers. */
  offer(entry: DeliveredEntry): void {
    if (this.#closed) return;
    if (!this.recovering) {
      this.write(entry);
      return;
    }
    this.#pending.push(entry);
    // Bounded: a recovery waits on one history read; more entries than the history holds is a stall.
    if (this.#pending.length > this.spec.maxCount) {
      this.#pending.shift();
      this.context.metrics?.increment('recoverySlowDrops', labelled(this.context, 'policy', 'recovering'));
      this.context.logger?.warn({ connectionId: this.connection.connectionId }, 'recoverable group: a recovering member held more live entries than the history keeps; the oldest was dropped');
    }
  }

  /**
   * Writes an entry's messages unless its offset was passed already (a replayed entry that also
   * came live, or the other way round); returns how many messages were written (or queued).
   */
  write(entry: DeliveredEntry): number {
    if (this.#closed) return 0;
    if (entry.epoch !== this.lastEpoch) {
      // Another epoch: the history started again and its offsets count from 1.
      this.lastEpoch = entry.epoch;
      this.lastOffset = 0;
    }
    if (entry.offset <= this.lastOffset) return 0;
    this.lastOffset = entry.offset;
    if (entry.except?.has(this.connection.connectionId) === true) return 0;
    for (const message of entry.messages) this.#send(message);
    return entry.messages.length;
  }

  /** Ends the recovery: the held live entries past `lastOffset` are written, in order, and the member is live. */
  release(): void {
    const pending = this.#pending;
    this.#pending = [];
    this.recovering = false;
    for (const entry of pending) this.write(entry);
  }

  /** Stops everything: no more writes, the queue is dropped, the drain loop ends. */
  close(): void {
    this.#closed = true;
    this.#pending = [];
    this.#queue = [];
  }

  #backlog(): number {
    return this.connection.outboundBacklog?.() ?? 0;
  }

  #send(message: PositionedMessage): void {
    if (this.#queue.length === 0 && this.#backlog() <= this.spec.highWaterMark) {
      this.#writeNow(message);
      return;
    }
    this.#queue.push(message);
    if (this.#queue.length > this.spec.maxQueued) this.#overflow(message);
    if (!this.#closed && !this.#draining) void this.#drain();
  }

  #overflow(newest: PositionedMessage): void {
    const { policy } = this.spec;
    const { metrics, labels } = this.context;
    if (policy.action === 'disconnect' && this.connection.closeAsSlow !== undefined) {
      this.close();
      metrics?.increment('slowConsumerDisconnects', labelled(this.context, 'reason', 'group_queue'));
      this.context.logger?.info({ connectionId: this.connection.connectionId }, 'recoverable group: closing a slow member; it recovers from the history when it reconnects');
      this.connection.closeAsSlow(`More than ${this.spec.maxQueued} messages of a recoverable group waited for the connection.`);
      return;
    }
    if (policy.action === 'keep-latest') {
      const key = newest.keyOf(policy.key);
      if (key !== undefined) {
        const last = this.#queue.length - 1;
        for (let i = 0; i < last; i++) {
          if (this.#queue[i]!.keyOf(policy.key) !== key) continue;
          // The older one goes, the newer one stays at the end: offsets still only grow.
          this.#queue.splice(i, 1);
          metrics?.increment('recoverySlowConflated', labels);
          return;
        }
      }
    }
    this.#queue.shift();
    metrics?.increment('recoverySlowDrops', labelled(this.context, 'policy', policy.action));
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    const { connection } = this;
    const low = Math.max(1, Math.floor(this.spec.highWaterMark / 2));
    try {
      while (!this.#closed && this.#queue.length > 0) {
        if (this.#backlog() > this.spec.highWaterMark && connection.whenBacklogBelow !== undefined) {
          await connection.whenBacklogBelow(low);
          if (this.#closed) return;
          // At least one message per wake-up: a closed connection resolves at once and must not spin.
          this.#writeNow(this.#queue.shift()!);
          continue;
        }
        this.#writeNow(this.#queue.shift()!);
      }
    } catch (error) {
      this.context.logger?.warn({ err: error, connectionId: connection.connectionId }, 'recoverable group: waiting for a slow member failed; it gets nothing more');
      this.close();
    } finally {
      this.#draining = false;
    }
  }

  #writeNow(message: PositionedMessage): void {
    // Counted by the connection (messagesSent by protocol), like every other send.
    try {
      this.connection.writeSerialized(message);
    } catch (error) {
      // One broken recipient (or a message its protocol cannot carry) never costs the others theirs.
      this.context.logger?.debug({ err: error, connectionId: this.connection.connectionId }, 'recoverable group: a write failed');
    }
  }
}

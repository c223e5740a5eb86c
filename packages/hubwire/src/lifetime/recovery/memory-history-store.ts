/**
 * The history of recoverable groups for one process (no Redis): per group an epoch, the top, the
 * floor and the entries, bounded by count and age; a group nobody appends to for `metaTtl` is
 * forgotten entirely, so memory stays bounded by the groups in use.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { AppendResult, HistoryEntry, HistoryLimits, HistoryRead, HistoryStore, StreamPosition } from './recovery-types.js';

interface StoredEntry extends HistoryEntry {
  readonly time: number;
}

interface GroupHistory {
  readonly epoch: string;
  top: number;
  floor: number;
  /** Ascending by offset; trimmed from the front. */
  entries: StoredEntry[];
  /** Index of the first live entry in `entries` (trimming moves it instead of shifting the array each time). */
  start: number;
  /** When the meta (epoch, top) is forgotten. */
  expires: number;
}

/** Options of {@link MemoryHistoryStore}. */
export interface MemoryHistoryStoreOptions {
  /** The time source (ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Makes a new epoch id. Default: 8 random bytes in hex. */
  readonly newEpoch?: () => string;
}

/** How often (in appends and reads) the whole map is swept for groups whose meta expired. */
const SWEEP_EVERY = 1024;

/**
 * A {@link HistoryStore} in a Map. Appends and reads are synchronous underneath, so two appends
 * resolve in the order they were made.
 *
 * @example
 * ```ts
 * const store = new MemoryHistoryStore();
 * const limits = { maxCount: 100, maxAge: 60_000, metaTtl: 86_400_000 };
 * await store.append('org:1', payload, limits); // { kind: 'appended', position: { offset: 1, epoch } }
 * (await store.read('org:1', 0, 10, limits)).entries.length; // 1
 * ```
 */
export class MemoryHistoryStore implements HistoryStore {
  readonly #groups = new Map<string, GroupHistory>();
  readonly #now: () => number;
  readonly #newEpoch: () => string;
  #operations = 0;

  constructor(options: MemoryHistoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#newEpoch = options.newEpoch ?? (() => randomBytes(8).toString('hex'));
  }

  /** Groups whose history (or meta) is held. */
  get size(): number {
    return this.#groups.size;
  }

  async append(group: string, payload: Buffer, limits: HistoryLimits, expectedOffset?: number): Promise<AppendResult> {
    const now = this.#now();
    const history = this.#history(group, now, limits);
    let offset = history.top + 1;
    if (expectedOffset !== undefined) {
      if (expectedOffset <= history.top) return { kind: 'duplicate', position: position(history) };
      offset = expectedOffset;
    }
    if (offset > history.top + 1) {
      // A hole: the offsets skipped were never stored, so the history is whole only from here.
      history.entries = [];
      history.start = 0;
      history.floor = offset;
    }
    history.entries.push({ offset, payload, time: now });
    history.top = offset;
    history.expires = now + Math.max(limits.metaTtl, limits.maxAge);
    trim(history, limits, now);
    return { kind: 'appended', position: position(history) };
  }

  async read(group: string, after: number, limit: number, limits: HistoryLimits): Promise<HistoryRead> {
    const now = this.#now();
    const history = this.#history(group, now, limits);
    trim(history, limits, now);
    const entries: HistoryEntry[] = [];
    const { entries: stored } = history;
    // Offsets are dense from the first live entry on, so the start index is computed, not searched.
    let i = history.start + Math.max(0, after + 1 - history.floor);
    for (; i < stored.length && entries.length < limit; i++) {
      const entry = stored[i]!;
      entries.push({ offset: entry.offset, payload: entry.payload });
    }
    return { epoch: history.epoch, top: history.top, floor: history.floor, entries };
  }

  async close(): Promise<void> {
    this.#groups.clear();
  }

  #history(group: string, now: number, limits: HistoryLimits): GroupHistory {
    if (++this.#operations % SWEEP_EVERY === 0) this.#sweep(now);
    let history = this.#groups.get(group);
    if (history !== undefined && history.expires <= now) {
      this.#groups.delete(group);
      history = undefined;
    }
    if (history === undefined) {
      // A read of an unknown group keeps the epoch it answered (a client may come back with it)
      // as long as an idle history's meta lives.
      history = { epoch: this.#newEpoch(), top: 0, floor: 1, entries: [], start: 0, expires: now + limits.metaTtl };
      this.#groups.set(group, history);
    }
    return history;
  }

  #sweep(now: number): void {
    for (const [group, history] of this.#groups) if (history.expires <= now) this.#groups.delete(group);
  }
}

function position(history: GroupHistory): StreamPosition {
  return { offset: history.top, epoch: history.epoch };
}

/** Drops entries beyond `maxCount` and older than `maxAge`; the floor follows the first kept. */
function trim(history: GroupHistory, limits: HistoryLimits, now: number): void {
  const { entries } = history;
  let start = Math.max(history.start, entries.length - limits.maxCount);
  const oldest = now - limits.maxAge;
  while (start < entries.length && entries[start]!.time < oldest) start++;
  if (start === history.start) return;
  history.start = start;
  history.floor = start < entries.length ? entries[start]!.offset : history.top + 1;
  // Compact once the dead prefix is as large as the live part: amortized O(1) per entry.
  if (start >= entries.length - start) {
    history.entries = entries.slice(start);
    history.start = 0;
  }
}

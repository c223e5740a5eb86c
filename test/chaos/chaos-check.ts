/**
 * The checks of a chaos run, as pure functions over what the clients logged and what the
 * senders said they sent (chaos-check.test.ts feeds them broken logs, so they can fail).
 *
 * Per client and group, the offsets received in arrival order must be exactly 1, 2, … top. Across
 * clients, one offset carries one tag `(sender, seq)` everywhere, and in offset order each
 * sender's seqs of a group are 1, 2, … m: its messages in the order it sent them, none twice,
 * none skipped. `m` must cover every send its node acknowledged; a node killed mid-burst may have
 * had a few more appended whose answer it never wrote, never more than it attempted.
 * @module
 */

/** How one client's stream of one group differs from 1…top. */
export interface StreamCheck {
  /** Offsets of 1…top never received. */
  readonly lost: number;
  /** Arrivals of an offset already received. */
  readonly duplicated: number;
  /** First arrivals of an offset below one received before. */
  readonly outOfOrder: number;
  /** Arrivals outside 1…top. */
  readonly unexpected: number;
}

/** Compares one stream of offsets (arrival order) with 1…top. */
export function checkStream(offsets: readonly number[], top: number): StreamCheck {
  const seen = new Set<number>();
  let duplicated = 0;
  let outOfOrder = 0;
  let unexpected = 0;
  let highest = 0;
  for (const offset of offsets) {
    if (!Number.isInteger(offset) || offset < 1 || offset > top) {
      unexpected++;
      continue;
    }
    if (seen.has(offset)) {
      duplicated++;
      continue;
    }
    if (offset < highest) outOfOrder++;
    seen.add(offset);
    highest = Math.max(highest, offset);
  }
  return { lost: top - seen.size, duplicated, outOfOrder, unexpected };
}

/** One client's log of one group: offsets with the tag of each message, in arrival order. */
export interface TaggedLog {
  readonly offsets: readonly number[];
  readonly senders: readonly number[];
  readonly seqs: readonly number[];
}

/** What one group's history held, rebuilt from every client's log. */
export interface GroupHistory {
  /** `tags[offset]`: `sender:seq`, or undefined where no client received that offset. */
  readonly tags: readonly (string | undefined)[];
  /** Offsets that reached two clients with different tags. */
  readonly conflicts: number;
}

/** Rebuilds offset → tag of a group from its members' logs. */
export function rebuildHistory(logs: Iterable<TaggedLog>, top: number): GroupHistory {
  const tags = new Array<string | undefined>(top + 1).fill(undefined);
  let conflicts = 0;
  for (const log of logs) {
    log.offsets.forEach((offset, i) => {
      if (offset < 1 || offset > top) return;
      const tag = `${log.senders[i]}:${log.seqs[i]}`;
      if (tags[offset] === undefined) tags[offset] = tag;
      else if (tags[offset] !== tag) conflicts++;
    });
  }
  return { tags, conflicts };
}

/** What one sender did to one group: sends acknowledged, and sends attempted (more only on the killed node). */
export interface SenderCount {
  readonly acknowledged: number;
  readonly attempted: number;
}

/** How a group's history compares with what its senders sent. */
export interface SenderCheck {
  /** Entries whose seq is not the sender's next one (a reorder, a repeat or a skip by the history). */
  readonly disorder: number;
  /** Acknowledged sends the history does not hold. */
  readonly lostAcknowledged: number;
  /** Entries beyond what the sender attempted (cannot come from the driver's sends). */
  readonly phantom: number;
  /** Entries past the acknowledged ones (sent by a node killed before it answered). */
  readonly unacknowledgedFound: number;
  /** Offsets with no tag (no client received them; counted as lost by the stream checks too). */
  readonly untagged: number;
}

/** Checks the rebuilt history of a group against `counts` (sender → its sends to the group). */
export function checkSenders(history: GroupHistory, counts: ReadonlyMap<number, SenderCount>): SenderCheck {
  const found = new Map<number, number>();
  let disorder = 0;
  let untagged = 0;
  let phantom = 0;
  for (let offset = 1; offset < history.tags.length; offset++) {
    const tag = history.tags[offset];
    if (tag === undefined) {
      untagged++;
      continue;
    }
    const [sender, seq] = tag.split(':').map(Number) as [number, number];
    const next = (found.get(sender) ?? 0) + 1;
    found.set(sender, next);
    if (seq !== next) disorder++;
    if (!counts.has(sender)) phantom++;
  }
  let lostAcknowledged = 0;
  let unacknowledgedFound = 0;
  for (const [sender, count] of counts) {
    const m = found.get(sender) ?? 0;
    lostAcknowledged += Math.max(0, count.acknowledged - m);
    phantom += Math.max(0, m - count.attempted);
    unacknowledgedFound += Math.max(0, Math.min(m, count.attempted) - count.acknowledged);
  }
  return { disorder, lostAcknowledged, phantom, unacknowledgedFound, untagged };
}

/** The value at quantile `q` (0…1) of `values` (nearest rank); 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

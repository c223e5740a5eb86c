/**
 * Azure's user-to-group membership: `PUT /users/{user}/groups/{group}` puts the user — not only
 * its connections of the moment — in the group, so a connection the user opens later joins it
 * too, until the membership's `ttl` runs out. Without a ttl it lasts a year at most, and only the
 * 100 latest such groups of a user are kept; `ttl=0` records nothing (only the connections of the
 * moment join). This file is the store's contract and its memory variant (one process); the
 * Redis one (`redis-user-groups.ts`) serves a cluster.
 * @module
 */

/** How long a membership without ttl lasts: one year, as Azure. */
export const UNTIMED_MEMBERSHIP_MS = 365 * 24 * 60 * 60 * 1000;
/** Memberships without ttl a user keeps; adding one more drops the least recently updated. */
export const MAX_UNTIMED_GROUPS = 100;
/** Memberships with a ttl a user keeps (Hubwire's bound; the soonest to expire goes first). */
export const MAX_TIMED_GROUPS = 1000;

/**
 * Who is in which group by user, per hub (`hub` is the hub's path). Every method may reject when
 * the store is unreachable (Redis down); callers answer 503 then.
 */
export interface UserGroupStore {
  /** Puts `user` in `group` for `ttlSeconds` (undefined: a year, counted among the kept 100). */
  add(hub: string, user: string, group: string, ttlSeconds: number | undefined): Promise<void>;
  /** Takes `user` out of `group`; false when it was not in it. */
  remove(hub: string, user: string, group: string): Promise<boolean>;
  /** Takes `user` out of every group and answers which they were. */
  removeAll(hub: string, user: string): Promise<readonly string[]>;
  /** The groups `user` is in now, sorted. */
  groups(hub: string, user: string): Promise<readonly string[]>;
  /** Whether `user` is in `group` now. */
  has(hub: string, user: string, group: string): Promise<boolean>;
}

interface Membership {
  readonly expiresAt: number;
  /** Added without ttl: one of the kept 100. */
  readonly untimed: boolean;
  readonly updatedAt: number;
}

/**
 * The store of one process. Expired memberships are dropped when their user is next looked at.
 *
 * @example
 * ```ts
 * const store = new MemoryUserGroupStore(() => clock.now());
 * await store.add('/hubs/chat', 'jane', 'room-1', 60);
 * await store.groups('/hubs/chat', 'jane'); // ['room-1'] for a minute
 * ```
 */
export class MemoryUserGroupStore implements UserGroupStore {
  readonly #users = new Map<string, Map<string, Membership>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async add(hub: string, user: string, group: string, ttlSeconds: number | undefined): Promise<void> {
    const now = this.#now();
    const key = userKey(hub, user);
    const memberships = this.#live(key, now) ?? new Map<string, Membership>();
    const untimed = ttlSeconds === undefined;
    memberships.set(group, { expiresAt: now + (untimed ? UNTIMED_MEMBERSHIP_MS : ttlSeconds * 1000), untimed, updatedAt: now });
    trim(memberships, true, MAX_UNTIMED_GROUPS, (membership) => membership.updatedAt);
    trim(memberships, false, MAX_TIMED_GROUPS, (membership) => membership.expiresAt);
    this.#users.set(key, memberships);
  }

  async remove(hub: string, user: string, group: string): Promise<boolean> {
    const key = userKey(hub, user);
    const memberships = this.#live(key, this.#now());
    const removed = memberships?.delete(group) ?? false;
    if (memberships?.size === 0) this.#users.delete(key);
    return removed;
  }

  async removeAll(hub: string, user: string): Promise<readonly string[]> {
    const key = userKey(hub, user);
    const groups = [...(this.#live(key, this.#now())?.keys() ?? [])].sort();
    this.#users.delete(key);
    return groups;
  }

  async groups(hub: string, user: string): Promise<readonly string[]> {
    return [...(this.#live(userKey(hub, user), this.#now())?.keys() ?? [])].sort();
  }

  async has(hub: string, user: string, group: string): Promise<boolean> {
    return this.#live(userKey(hub, user), this.#now())?.has(group) ?? false;
  }

  /** The user's memberships with the expired ones dropped (undefined when none is left). */
  #live(key: string, now: number): Map<string, Membership> | undefined {
    const memberships = this.#users.get(key);
    if (memberships === undefined) return undefined;
    for (const [group, membership] of memberships) if (membership.expiresAt <= now) memberships.delete(group);
    if (memberships.size > 0) return memberships;
    this.#users.delete(key);
    return undefined;
  }
}

function userKey(hub: string, user: string): string {
  return `${hub.toLowerCase()}\n${user}`;
}

/** Drops the lowest-ranked memberships of one kind beyond `max`. */
function trim(memberships: Map<string, Membership>, untimed: boolean, max: number, rank: (membership: Membership) => number): void {
  const ofKind = [...memberships].filter(([, membership]) => membership.untimed === untimed);
  if (ofKind.length <= max) return;
  ofKind.sort(([, a], [, b]) => rank(a) - rank(b));
  for (const [group] of ofKind.slice(0, ofKind.length - max)) memberships.delete(group);
}

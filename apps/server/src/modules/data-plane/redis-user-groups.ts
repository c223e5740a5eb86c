/**
 * The user-to-group store of a cluster: every node sees the same memberships, so a user's
 * connection joins its groups whichever node it opens on. Per hub and user, two sorted sets that
 * share a hash tag (one slot): the memberships by expiry time, and the untimed ones by their last
 * update (to keep the latest 100). Each operation is one Lua script, so a membership and its
 * bookkeeping change together; the keys expire with their last membership.
 * @module
 */
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { withTimeout } from '../../cluster/bounded.js';
import { DataPlaneError } from './results.js';
import { MAX_TIMED_GROUPS, MAX_UNTIMED_GROUPS, UNTIMED_MEMBERSHIP_MS, type UserGroupStore } from './user-groups.js';

const TIMEOUT_MS = 2000;

// KEYS: memberships (group -> expiresAt), untimed (group -> updatedAt).
// ARGV: group, now, expiresAt, untimed ('1'/'0'), max untimed, max timed, now - a year.
const ADD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[7])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
  if extra > 0 then
    local dropped = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
    redis.call('ZREM', KEYS[2], unpack(dropped))
    redis.call('ZREM', KEYS[1], unpack(dropped))
  end
else
  redis.call('ZREM', KEYS[2], ARGV[1])
  local extra = redis.call('ZCARD', KEYS[1]) - redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
  if extra > 0 then
    for _, group in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
      if extra <= 0 then break end
      if not redis.call('ZSCORE', KEYS[2], group) then
        redis.call('ZREM', KEYS[1], group)
        extra = extra - 1
      end
    end
  end
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIREAT', KEYS[2], last[2]) end
return 1
`;

// KEYS: memberships. ARGV: now, group ('' for all). Answers the live groups, or 1/0 for one.
const READ = `
if ARGV[2] == '' then return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf') end
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if score and tonumber(score) > tonumber(ARGV[1]) then return 1 end
return 0
`;

// KEYS: memberships, untimed. ARGV: now, group ('' for all). Answers the live groups removed.
const REMOVE = `
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return live
end
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if score and tonumber(score) > tonumber(ARGV[1]) then return { ARGV[2] } end
return {}
`;

/**
 * The store on the app's Redis (`AppContext.cluster`), under `<prefix>:app:dataplane:…`.
 *
 * @example
 * ```ts
 * const store = app.cluster === undefined ? new MemoryUserGroupStore() : new RedisUserGroupStore(app.cluster);
 * ```
 */
export class RedisUserGroupStore implements UserGroupStore {
  readonly #cluster: Pick<ClusterContext, 'redis' | 'key'>;
  readonly #now: () => number;

  constructor(cluster: Pick<ClusterContext, 'redis' | 'key'>, now: () => number = Date.now) {
    this.#cluster = cluster;
    this.#now = now;
  }

  async add(hub: string, user: string, group: string, ttlSeconds: number | undefined): Promise<void> {
    const now = this.#now();
    const untimed = ttlSeconds === undefined;
    const expiresAt = now + (untimed ? UNTIMED_MEMBERSHIP_MS : ttlSeconds * 1000);
    const args = [group, String(now), String(expiresAt), untimed ? '1' : '0', String(MAX_UNTIMED_GROUPS), String(MAX_TIMED_GROUPS), String(now - UNTIMED_MEMBERSHIP_MS)];
    await this.#eval(ADD, this.#keys(hub, user), args);
  }

  async remove(hub: string, user: string, group: string): Promise<boolean> {
    const removed = (await this.#eval(REMOVE, this.#keys(hub, user), [String(this.#now()), group])) as string[];
    return removed.length > 0;
  }

  async removeAll(hub: string, user: string): Promise<readonly string[]> {
    return ((await this.#eval(REMOVE, this.#keys(hub, user), [String(this.#now()), ''])) as string[]).sort();
  }

  async groups(hub: string, user: string): Promise<readonly string[]> {
    return ((await this.#eval(READ, this.#keys(hub, user).slice(0, 1), [String(this.#now()), ''])) as string[]).sort();
  }

  async has(hub: string, user: string, group: string): Promise<boolean> {
    if (group === '') return false;
    return (await this.#eval(READ, this.#keys(hub, user).slice(0, 1), [String(this.#now()), group])) === 1;
  }

  #keys(hub: string, user: string): string[] {
    // One hash tag for both keys; the user id is encoded so a '}' in it cannot end the tag early.
    const tag = `{${encodeURIComponent(hub.toLowerCase())}|${encodeURIComponent(user)}}`;
    return [this.#cluster.key('dataplane', 'user-groups', tag), this.#cluster.key('dataplane', 'user-groups', tag, 'untimed')];
  }

  async #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await withTimeout(this.#cluster.redis.eval(script, { keys, arguments: args }), TIMEOUT_MS, `no answer within ${TIMEOUT_MS} ms`);
    } catch (error) {
      throw new DataPlaneError('ServiceUnavailable', `The user-group memberships in Redis cannot be reached: ${(error as Error).message}`);
    }
  }
}

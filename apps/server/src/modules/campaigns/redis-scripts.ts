/**
 * The Lua scripts of the Redis campaign store. Each runs atomically in Redis, which is what
 * makes a commit one step: check the sequence (and the claim's token), store the record and its
 * messages, end the run's claim when the record is final. Keys of one campaign system share the
 * hash tag `{campaigns}`, so the scripts that touch several of them also run on a Redis Cluster
 * (one slot).
 *
 * Key layout under `<base>` = `<prefix>:app:{campaigns}`:
 * `<base>:c:<id>` hash {record (JSON), seq, published, final} · `<base>:m:<id>` list of the latest
 * messages (JSON) · `<base>:claim:<id>` the run's claim token (expires) · `<base>:active` set of
 * running ids · `<base>:index` sorted set of kept ids by creation order · `<base>:serial` that order.
 * @module
 */
import { createHash } from 'node:crypto';
import type { AppRedisClient } from '../../cluster/cluster-context.js';

/** A script with its SHA1, run with EVALSHA (EVAL once when Redis does not know it yet). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: active, index, record, messages, claim, serial.
 * ARGV: id, record JSON, seq, token, claim ttl ms, retention ms, max active, max kept, base, messages….
 * Returns 1, or 0 when max active runs are in progress.
 */
export const CREATE = script(`
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[7]) then return 0 end
redis.call('HSET', KEYS[3], 'record', ARGV[2], 'seq', ARGV[3], 'published', '0')
redis.call('PEXPIRE', KEYS[3], ARGV[6])
for i = 10, #ARGV do redis.call('RPUSH', KEYS[4], ARGV[i]) end
redis.call('PEXPIRE', KEYS[4], ARGV[6])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[6]), ARGV[1])
redis.call('SET', KEYS[5], ARGV[4], 'PX', ARGV[5])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[8])
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess + tonumber(ARGV[7]))) do
    if excess <= 0 then break end
    if redis.call('SISMEMBER', KEYS[1], old) == 0 then
      redis.call('ZREM', KEYS[2], old)
      redis.call('DEL', ARGV[9] .. ':c:' .. old, ARGV[9] .. ':m:' .. old)
      excess = excess - 1
    end
  end
end
return 1
`);

/**
 * KEYS: record, messages, claim, active.
 * ARGV: expected seq, new seq, record JSON, final (1/0), token ('' = no claim needed), retention ms, kept messages, id, messages….
 * Returns ok, conflict (another sequence, or the run has ended: an ended record never changes), not-owner or gone.
 */
export const COMMIT = script(`
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then return 'gone' end
if seq ~= ARGV[1] or redis.call('HGET', KEYS[1], 'final') == '1' then return 'conflict' end
if ARGV[5] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[5] then return 'not-owner' end
redis.call('HSET', KEYS[1], 'record', ARGV[3], 'seq', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
for i = 9, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[6])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'final', '1')
  redis.call('SREM', KEYS[4], ARGV[8])
  redis.call('DEL', KEYS[3])
end
return 'ok'
`);

/** KEYS: record. ARGV: seq. Moves `published` forward only, and never recreates an expired record. */
export const MARK_PUBLISHED = script(`
local published = redis.call('HGET', KEYS[1], 'published')
if published and tonumber(published) < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'published', ARGV[1]) end
return 1
`);

/** KEYS: index. ARGV: max, base. The kept records' JSON, newest first (expired ones skipped). */
export const LIST = script(`
local records = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
  local record = redis.call('HGET', ARGV[2] .. ':c:' .. id, 'record')
  if record then records[#records + 1] = record end
end
return records
`);

/** KEYS: claims. ARGV: ttl ms, tokens…. Extends the claims still held; returns the 1-based positions of the others. */
export const RENEW = script(`
local lost = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1]) else lost[#lost + 1] = i end
end
return lost
`);

/** KEYS: claims. ARGV: tokens…. Deletes the claims still held with these tokens. */
export const RELEASE = script(`
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then redis.call('DEL', key) end
end
return 1
`);

/**
 * KEYS: active, index. ARGV: base, token prefix, claim ttl ms.
 * Claims every running campaign without a claim (token = prefix .. id) and returns their ids;
 * forgets running ids whose record has expired.
 */
export const CLAIM_ORPHANS = script(`
local claimed = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':c:' .. id) == 0 then
    redis.call('SREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  elseif redis.call('SET', ARGV[1] .. ':claim:' .. id, ARGV[2] .. id, 'NX', 'PX', ARGV[3]) then
    claimed[#claimed + 1] = id
  end
end
return claimed
`);

/** Runs a script by its SHA1, loading it with EVAL the first time a Redis (or a restarted one) lacks it. */
export async function runScript(redis: AppRedisClient, which: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const rest = [String(keys.length), ...keys, ...args.map(String)];
  try {
    return await redis.sendCommand(['EVALSHA', which.sha, ...rest]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await redis.sendCommand(['EVAL', which.source, ...rest]);
  }
}

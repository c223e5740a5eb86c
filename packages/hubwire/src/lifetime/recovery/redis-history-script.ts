/**
 * The Lua script behind the Redis history store: one script with an operation per call
 * (`append`, `read`), so each is one atomic round trip and one EVAL after a Redis restart or a
 * SCRIPT FLUSH loads both again.
 *
 * Keys of one group, all with one hash tag so the script runs in one slot of a Redis Cluster
 * (`G` = `<prefix>:{<hub>:<group>}`):
 *
 * | Key | Type | Holds |
 * | --- | --- | --- |
 * | `G:m` | hash, PX metaTtl | `epoch`, `top` (last offset), `t` (time of the last entry, ms) |
 * | `G:h` | stream, PX maxAge | entries with id `<offset>-0`, fields `t` (ms) and `p` (payload) |
 * | `G:p` | channel | every appended entry as `<epoch>\n<offset>\n<payload>` |
 *
 * The floor (first offset held) is not stored: the stream always holds every offset from its
 * first entry up to the top (a jump trims what is below it), so its first entry is the floor and
 * the two cannot disagree.
 *
 * Times are Redis's clock (TIME) unless the caller passes one (tests, with a fake clock). An
 * entry's `t` never goes below the one before it, so the oldest entries are always the first ones
 * of the stream and trimming by age walks from its start.
 *
 * Calls: `EVALSHA <sha> 2 G:m G:h append <channel> <PUBLISH|SPUBLISH> <new epoch> <now|''>
 * <maxCount> <maxAge> <metaTtl> <offset|''> <payload>` → `{'appended'|'duplicate', offset, epoch}`
 * (a duplicate answers the top); `EVALSHA <sha> 2 G:m G:h read <new epoch> <now|''> <maxAge>
 * <metaTtl> <after> <limit>` → `{epoch, top, floor, {offset, payload, …}}`. `<new epoch>` is
 * only used when the group has no meta yet (a script's own random numbers are not random).
 * @module
 */
import { createHash } from 'node:crypto';

export const HISTORY_SCRIPT = `
local meta, stream, op = KEYS[1], KEYS[2], ARGV[1]

-- Integers as digits (tostring would write 1e+15 past 14 digits).
local function digits(n) return string.format('%.0f', n) end
local function offsetOf(id) return tonumber(string.match(id, '^%d+')) end

local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The group's epoch, top and last entry time; a group without meta starts a new epoch, and a
-- stream left over from an epoch whose meta expired is dropped with it.
local function open(candidate, metaTtl)
  local fields = redis.call('HMGET', meta, 'epoch', 'top', 't')
  if fields[1] then return fields[1], tonumber(fields[2]) or 0, tonumber(fields[3]) or 0 end
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'epoch', candidate, 'top', 0, 't', 0)
  redis.call('PEXPIRE', meta, metaTtl)
  return candidate, 0, 0
end

-- Drops the entries older than maxAge (the first ones) and answers the floor: the first offset
-- held, top + 1 when none is. At most BATCHES batches per call: what is left over is still whole
-- from the floor up, only older than it should be, and the next call goes on.
local BATCH, BATCHES = 64, 8
local function trimAge(now, maxAge, top)
  local oldest = now - maxAge
  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  if not first then return top + 1 end
  if tonumber(first[2][2]) >= oldest then return offsetOf(first[1]) end
  for _ = 1, BATCHES do
    local batch = redis.call('XRANGE', stream, '-', '+', 'COUNT', BATCH)
    if #batch == 0 then return top + 1 end
    for _, entry in ipairs(batch) do
      if tonumber(entry[2][2]) >= oldest then
        redis.call('XTRIM', stream, 'MINID', entry[1])
        return offsetOf(entry[1])
      end
    end
    if #batch < BATCH then
      redis.call('DEL', stream)
      return top + 1
    end
    redis.call('XTRIM', stream, 'MINID', digits(offsetOf(batch[#batch][1]) + 1) .. '-0')
  end
  first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  if not first then return top + 1 end
  return offsetOf(first[1])
end

if op == 'append' then
  local channel, publish, candidate = ARGV[2], ARGV[3], ARGV[4]
  local now, maxCount, maxAge, metaTtl = clock(ARGV[5]), ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
  local expected, payload = ARGV[9], ARGV[10]
  local epoch, top, last = open(candidate, metaTtl)
  local offset = top + 1
  if expected ~= '' then
    offset = tonumber(expected)
    if offset <= top then return { 'duplicate', top, epoch } end
  end
  if now < last then now = last end
  local id = digits(offset) .. '-0'
  -- A jump past top + 1 leaves a hole: what is below it no longer leads up to the top.
  if offset > top + 1 then redis.call('XTRIM', stream, 'MINID', id) end
  redis.call('XADD', stream, 'MAXLEN', maxCount, id, 't', digits(now), 'p', payload)
  trimAge(now, maxAge, offset)
  redis.call('HSET', meta, 'top', digits(offset), 't', digits(now))
  redis.call('PEXPIRE', meta, metaTtl)
  redis.call('PEXPIRE', stream, maxAge)
  redis.call(publish, channel, epoch .. '\\n' .. digits(offset) .. '\\n' .. payload)
  return { 'appended', offset, epoch }
end

if op == 'read' then
  local candidate, now, maxAge, metaTtl = ARGV[2], clock(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
  local after, limit = tonumber(ARGV[6]), tonumber(ARGV[7])
  local epoch, top = open(candidate, metaTtl)
  local floor = trimAge(now, maxAge, top)
  local from = math.max(after + 1, floor)
  local entries = {}
  if from <= top and limit > 0 then
    for _, entry in ipairs(redis.call('XRANGE', stream, digits(from) .. '-0', '+', 'COUNT', limit)) do
      table.insert(entries, offsetOf(entry[1]))
      table.insert(entries, entry[2][4])
    end
  end
  return { epoch, top, floor, entries }
end

return redis.error_reply('unknown history operation ' .. op)
`;

/** The script's SHA1, for EVALSHA. */
export const HISTORY_SCRIPT_SHA = createHash('sha1').update(HISTORY_SCRIPT).digest('hex');

/**
 * The Lua script behind Redis presence: one script with an operation per call, so that every
 * write is one atomic round trip and one EVAL after a Redis restart loads all of them again.
 *
 * Keys, all under the prefix (an ACL of `~<prefix>:*` covers them) and one hash tag, so they live
 * in one slot of a Redis Cluster (`T` = `<prefix>:{<hub>}`):
 *
 * | Key | Type | Holds |
 * | --- | --- | --- |
 * | `T:nodes` | zset | node id → its last heartbeat (ms, Redis's clock): the registry reapers walk |
 * | `T:node:<node>` | string, PX node TTL | the node is alive while it exists |
 * | `T:node-conns:<node>` | set | the node's connection ids: its journal, what a reaper undoes |
 * | `T:conn:<id>` | hash | `r` the connection's record, `n` its node, `u` its user |
 * | `T:conn-groups:<id>` | set | the connection's groups |
 * | `T:group:<group>` | zset, all scores 0 | records of the group's connections, in id order |
 * | `T:group-users:<group>` | zset, all scores 0 | the group's distinct users, in order |
 * | `T:group-refs:<group>` | hash | user → how many of the user's connections are in the group |
 * | `T:user:<user>` | zset, all scores 0 | records of the user's connections |
 * | `T:groups` | zset, all scores 0 | the names of the groups that have a member, in order |
 *
 * A record is `<connection id>\0<JSON [node] or [node, user]>`: it sorts by connection id (no id
 * contains NUL), so a group's zset pages by id with ZRANGE BYLEX.
 *
 * Call: `EVALSHA <sha> 1 T:nodes <op> T <this node> …args`. Writes of the node's own state
 * (`connect`, `add`, `put`) return 0 and change nothing while the node's key is missing: the
 * node was taken for dead, and its next heartbeat writes its whole state again instead.
 * Queries return `{dead nodes, answer}`: the caller reaps the dead nodes and asks again.
 * @module
 */
import { createHash } from 'node:crypto';

export const PRESENCE_SCRIPT = `
local nodes, op, T, me = KEYS[1], ARGV[1], ARGV[2], ARGV[3]

local function nodeKey(id) return T .. ':node:' .. id end
local function nodeConns(id) return T .. ':node-conns:' .. id end
local function connKey(id) return T .. ':conn:' .. id end
local function connGroups(id) return T .. ':conn-groups:' .. id end
local function groupKey(g) return T .. ':group:' .. g end
local function groupUsers(g) return T .. ':group-users:' .. g end
local function groupRefs(g) return T .. ':group-refs:' .. g end
local function userKey(u) return T .. ':user:' .. u end
local function live(id) return redis.call('EXISTS', nodeKey(id)) == 1 end
-- A user argument is '-' for none, '+<user>' otherwise (an empty user id stays possible).
local function userOf(arg) if string.sub(arg, 1, 1) == '+' then return string.sub(arg, 2) end return false end

local groupsKey = T .. ':groups'

-- A join always (re)indexes its group, so a group joined before the index existed is listed
-- from its next join on; the last member leaving unlists it.
local function joinGroup(g, record, user)
  redis.call('ZADD', groupKey(g), 0, record)
  redis.call('ZADD', groupsKey, 0, g)
  if user and redis.call('HINCRBY', groupRefs(g), user, 1) == 1 then redis.call('ZADD', groupUsers(g), 0, user) end
end

local function leaveGroup(g, record, user)
  redis.call('ZREM', groupKey(g), record)
  if redis.call('EXISTS', groupKey(g)) == 0 then redis.call('ZREM', groupsKey, g) end
  if user and redis.call('HINCRBY', groupRefs(g), user, -1) <= 0 then
    redis.call('HDEL', groupRefs(g), user)
    redis.call('ZREM', groupUsers(g), user)
  end
end

local function dropConnection(id)
  local fields = redis.call('HMGET', connKey(id), 'r', 'u', 'n')
  local record, user, node = fields[1], fields[2], fields[3]
  if not record then return end
  for _, g in ipairs(redis.call('SMEMBERS', connGroups(id))) do leaveGroup(g, record, user) end
  if user then redis.call('ZREM', userKey(user), record) end
  redis.call('DEL', connKey(id), connGroups(id))
  redis.call('SREM', nodeConns(node), id)
end

local function putConnection(id, record, user)
  if user then redis.call('HSET', connKey(id), 'r', record, 'n', me, 'u', user)
  else redis.call('HSET', connKey(id), 'r', record, 'n', me) end
  redis.call('SADD', nodeConns(me), id)
  if user then redis.call('ZADD', userKey(user), 0, record) end
end

local function deadNodes()
  local dead = {}
  for _, id in ipairs(redis.call('ZRANGE', nodes, 0, -1)) do
    if id ~= me and not live(id) then table.insert(dead, id) end
  end
  return dead
end

if op == 'beat' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local existed = redis.call('SET', nodeKey(me), now, 'PX', ARGV[4], 'GET')
  redis.call('ZADD', nodes, now, me)
  return { existed and 1 or 0, deadNodes() }
end

if op == 'connect' then
  if not live(me) then return 0 end
  putConnection(ARGV[4], ARGV[5], userOf(ARGV[6]))
  return 1
end

if op == 'disconnect' then
  for i = 4, #ARGV do dropConnection(ARGV[i]) end
  return 1
end

if op == 'add' or op == 'remove' then
  local id, g = ARGV[4], ARGV[5]
  if op == 'add' and not live(me) then return 0 end
  local fields = redis.call('HMGET', connKey(id), 'r', 'u')
  if not fields[1] then return op == 'add' and 0 or 1 end
  if op == 'add' then
    if redis.call('SADD', connGroups(id), g) == 1 then joinGroup(g, fields[1], fields[2]) end
  elseif redis.call('SREM', connGroups(id), g) == 1 then
    leaveGroup(g, fields[1], fields[2])
  end
  return 1
end

-- Resync: connections with their exact groups (id, record, user, group count, groups…)*.
if op == 'put' then
  if not live(me) then return 0 end
  local i = 4
  while i <= #ARGV do
    local id, record, user, count = ARGV[i], ARGV[i + 1], userOf(ARGV[i + 2]), tonumber(ARGV[i + 3])
    local wanted = {}
    for j = i + 4, i + 3 + count do wanted[ARGV[j]] = true end
    i = i + 4 + count
    local old = redis.call('HGET', connKey(id), 'r')
    if old and old ~= record then dropConnection(id) end
    putConnection(id, record, user)
    for _, g in ipairs(redis.call('SMEMBERS', connGroups(id))) do
      if wanted[g] then wanted[g] = nil
      else
        redis.call('SREM', connGroups(id), g)
        leaveGroup(g, record, user)
      end
    end
    for g in pairs(wanted) do
      redis.call('SADD', connGroups(id), g)
      joinGroup(g, record, user)
    end
  end
  return 1
end

-- Undoes a batch of a dead node's journal (or of this node's own, on a clean close). Each
-- connection is popped before it is undone, so reapers running at once never undo one twice.
if op == 'reap' or op == 'leave' then
  local id = ARGV[4]
  if op == 'leave' then redis.call('DEL', nodeKey(me)); id = me
  elseif live(id) then return -1 end
  for _, conn in ipairs(redis.call('SPOP', nodeConns(id), ARGV[5])) do dropConnection(conn) end
  if redis.call('SCARD', nodeConns(id)) == 0 then
    redis.call('ZREM', nodes, id)
    return 0
  end
  return 1
end

local dead = deadNodes()
local answer
if op == 'group' then
  local min = '-'
  if ARGV[5] ~= '' then min = '[' .. ARGV[5] .. '\\1' end
  answer = redis.call('ZRANGE', groupKey(ARGV[4]), min, '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[6]) + 1)
elseif op == 'group-count' then
  answer = redis.call('ZCARD', groupKey(ARGV[4]))
elseif op == 'group-users' then
  local min = '-'
  if ARGV[5] ~= '' then min = '(' .. ARGV[5] end
  answer = redis.call('ZRANGE', groupUsers(ARGV[4]), min, '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[6]) + 1)
elseif op == 'group-user-count' then
  answer = redis.call('ZCARD', groupUsers(ARGV[4]))
elseif op == 'groups' then
  local min = '-'
  if ARGV[4] ~= '' then min = '(' .. ARGV[4] end
  answer = {}
  for _, g in ipairs(redis.call('ZRANGE', groupsKey, min, '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[5]) + 1)) do
    table.insert(answer, g)
    table.insert(answer, redis.call('ZCARD', groupKey(g)))
  end
elseif op == 'groups-count' then
  answer = redis.call('ZCARD', groupsKey)
elseif op == 'user' then
  answer = redis.call('ZRANGE', userKey(ARGV[4]), 0, -1)
elseif op == 'online' then
  answer = redis.call('EXISTS', userKey(ARGV[4]))
elseif op == 'count' or op == 'nodes' then
  local total, list = 0, {}
  for _, id in ipairs(redis.call('ZRANGE', nodes, 0, -1, 'WITHSCORES')) do table.insert(list, id) end
  answer = {}
  for i = 1, #list, 2 do
    local id = list[i]
    if id == me or live(id) then
      local conns = redis.call('SCARD', nodeConns(id))
      total = total + conns
      table.insert(answer, id)
      table.insert(answer, list[i + 1])
      table.insert(answer, conns)
    end
  end
  if op == 'count' then answer = total end
else
  return redis.error_reply('unknown presence operation ' .. op)
end
return { dead, answer }
`;

/** The script's SHA1, for EVALSHA. */
export const PRESENCE_SCRIPT_SHA = createHash('sha1').update(PRESENCE_SCRIPT).digest('hex');

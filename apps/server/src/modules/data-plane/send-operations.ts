/**
 * Sends: `POST …/:send` to the whole hub, a connection, a group or a user, answered `202`.
 * Each takes Azure's `PayloadMessage` and, beyond Azure, an `Idempotency-Key`: a retried send
 * with the same key and the same message is answered `202` (with `Idempotent-Replayed: true`)
 * and not delivered again.
 * @module
 */
import { createHash } from 'node:crypto';
import type { HubTarget } from './hub-target.js';
import { ACCEPTED, DataPlaneError, type DataPlaneResult } from './results.js';
import { checkExcluded, checkGroup, checkId, checkIdempotencyKey, parsePayload } from './validation.js';

/** The optional parts of a send. */
export interface SendOptions {
  /** Connection ids that do not get the message (hub and group sends). */
  readonly excluded?: readonly string[];
  /** The `Idempotency-Key` header. */
  readonly idempotencyKey?: string;
}

/**
 * `POST /api/hubs/{hub}/:send`: every connection of the hub but the excluded ones.
 *
 * @example
 * ```ts
 * await sendToHub(hub, { target: 'newMessage', arguments: ['hello'] }, { excluded: ['c1'] }); // { status: 202 }
 * ```
 */
export async function sendToHub(hub: HubTarget, body: unknown, options: SendOptions = {}): Promise<DataPlaneResult> {
  const payload = parsePayload(body);
  const excluded = checkExcluded(options.excluded);
  const clients = excluded.length === 0 ? hub.context.clients.all : hub.context.clients.allExcept(excluded);
  return once(hub, options.idempotencyKey, ['hub', excluded, payload], () => clients.send(payload.target, ...payload.arguments));
}

/** `POST /api/hubs/{hub}/connections/{connectionId}/:send` (202 also for an unknown connection, as Azure). */
export async function sendToConnection(hub: HubTarget, connectionId: string, body: unknown, options: SendOptions = {}): Promise<DataPlaneResult> {
  const id = checkId(connectionId, 'connectionId');
  const payload = parsePayload(body);
  return once(hub, options.idempotencyKey, ['connection', id, payload], () => hub.context.clients.client(id).send(payload.target, ...payload.arguments));
}

/** `POST /api/hubs/{hub}/groups/{group}/:send`: the group's members but the excluded ones. */
export async function sendToGroup(hub: HubTarget, group: string, body: unknown, options: SendOptions = {}): Promise<DataPlaneResult> {
  const name = checkGroup(group);
  const payload = parsePayload(body);
  const excluded = checkExcluded(options.excluded);
  const clients = excluded.length === 0 ? hub.context.clients.group(name) : hub.context.clients.groupExcept(name, excluded);
  return once(hub, options.idempotencyKey, ['group', name, excluded, payload], () => clients.send(payload.target, ...payload.arguments));
}

/** `POST /api/hubs/{hub}/users/{user}/:send`: every connection of the user. */
export async function sendToUser(hub: HubTarget, user: string, body: unknown, options: SendOptions = {}): Promise<DataPlaneResult> {
  const id = checkId(user, 'user');
  const payload = parsePayload(body);
  return once(hub, options.idempotencyKey, ['user', id, payload], () => hub.context.clients.user(id).send(payload.target, ...payload.arguments));
}

/**
 * Runs `send` unless `key` was already used for the same request (`what`). The key is claimed
 * before the send and given back if the send fails, so a retry after a failure is delivered.
 */
async function once(hub: HubTarget, key: string | undefined, what: readonly unknown[], send: () => Promise<void>): Promise<DataPlaneResult> {
  const checked = checkIdempotencyKey(key);
  if (checked === undefined) {
    await send();
    return ACCEPTED;
  }
  const scoped = `${hub.path.toLowerCase()}\n${checked}`;
  const fingerprint = createHash('sha256').update(JSON.stringify(what)).digest('base64url');
  const claim = await hub.idempotency.claim(scoped, fingerprint);
  if (claim === 'replay') return { status: 202, headers: { 'idempotent-replayed': 'true' } };
  if (claim === 'conflict') throw new DataPlaneError('IdempotencyKeyReused', 'This Idempotency-Key was used for another request.', 'Idempotency-Key');
  try {
    await send();
  } catch (error) {
    await hub.idempotency.release(scoped, fingerprint).catch(() => undefined);
    throw error;
  }
  return ACCEPTED;
}

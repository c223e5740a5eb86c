/**
 * `POST /api/hubs/{hub}/:execute?filter=` (2024-12-01): a list of commands — `SendMessage`,
 * `JoinGroup`, `LeaveGroup`, `CloseConnection` — applied in order to every connection the OData
 * filter matches (all of the hub's without one). Azure calls it a transaction; here the whole
 * list is checked before anything runs (one bad command and nothing happens), then the commands
 * run one after the other, which is not atomic against concurrent changes.
 * @module
 */
import type { HubTarget } from './hub-target.js';
import { parseFilter, type ConnectionFilter } from './odata-filter.js';
import { ACCEPTED, DataPlaneError, type DataPlaneResult } from './results.js';
import type { LocalConnection } from './connection-directory.js';
import { checkGroup, checkReason, parsePayload, type PayloadMessage } from './validation.js';

/** One command of the batch, checked. */
export type SignalRCommand =
  | { readonly type: 'SendMessage'; readonly message: PayloadMessage }
  | { readonly type: 'JoinGroup' | 'LeaveGroup'; readonly group: string }
  | { readonly type: 'CloseConnection'; readonly reason: string | undefined };

/** Most commands one call may carry. */
export const MAX_COMMANDS = 100;
/** Connections one send or close addresses at once. */
const CHUNK = 1000;
/** Group changes in flight at once. */
const PARALLEL_CHANGES = 50;

/**
 * Checks and runs a batch; answers 202.
 *
 * @example
 * ```ts
 * await execute(hub, [{ type: 'JoinGroup', group: 'listeners' }, { type: 'SendMessage', message: { target: 'welcome', arguments: [] } }], "startswith(userId, 'listener-')");
 * ```
 */
export async function execute(hub: HubTarget, body: unknown, filter?: string): Promise<DataPlaneResult> {
  const commands = parseCommands(body);
  const parsed = filter === undefined || filter.trim() === '' ? undefined : parseFilter(filter);
  // Without a filter, sends and closes need no list of the connections.
  const needsTargets = parsed !== undefined || commands.some((command) => command.type === 'JoinGroup' || command.type === 'LeaveGroup');
  const targets = needsTargets ? await matching(hub, parsed) : undefined;
  for (const command of commands) {
    if (command.type === 'SendMessage') {
      const { target, arguments: args } = command.message;
      if (targets === undefined) await hub.context.clients.all.send(target, ...args);
      else for (const ids of chunks(targets)) await hub.context.clients.clients(ids).send(target, ...args);
    } else if (command.type === 'CloseConnection') {
      await hub.connections.close(hub.path, targets === undefined ? { allExcept: [] } : { ids: targets }, command.reason);
    } else {
      const change = command.type === 'JoinGroup' ? (id: string) => hub.context.groups.add(id, command.group) : (id: string) => hub.context.groups.remove(id, command.group);
      for (let start = 0; start < targets!.length; start += PARALLEL_CHANGES) await Promise.all(targets!.slice(start, start + PARALLEL_CHANGES).map(change));
    }
  }
  return ACCEPTED;
}

/** The batch, checked as a whole. */
export function parseCommands(body: unknown): SignalRCommand[] {
  if (!Array.isArray(body) || body.length === 0 || body.length > MAX_COMMANDS) {
    throw new DataPlaneError('InvalidArgument', `The body must be an array of 1 to ${MAX_COMMANDS} commands.`, 'commands');
  }
  return body.map((raw: unknown, index): SignalRCommand => {
    const field = `commands[${index}]`;
    const command = (raw ?? {}) as { type?: unknown; message?: unknown; group?: unknown; reason?: unknown };
    switch (command.type) {
      case 'SendMessage':
        return { type: 'SendMessage', message: parsePayload(command.message, `${field}.message`) };
      case 'JoinGroup':
      case 'LeaveGroup':
        return { type: command.type, group: checkGroup(command.group, `${field}.group`) };
      case 'CloseConnection':
        if (command.reason !== undefined && typeof command.reason !== 'string') throw new DataPlaneError('InvalidArgument', 'reason must be a string.', `${field}.reason`);
        return { type: 'CloseConnection', reason: checkReason(command.reason as string | undefined) };
      default:
        throw new DataPlaneError('InvalidArgument', 'type must be SendMessage, JoinGroup, LeaveGroup or CloseConnection.', `${field}.type`);
    }
  });
}

/** The ids of the hub's connections the filter matches (all without one), over every node. */
async function matching(hub: HubTarget, filter: ConnectionFilter | undefined): Promise<string[]> {
  const connections: LocalConnection[] = [];
  let cursor: string | undefined;
  do {
    const page = await hub.connections.list(hub.path, cursor, CHUNK);
    connections.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  if (filter === undefined) return connections.map((connection) => connection.connectionId);
  const members = new Map<string, Set<string>>();
  for (const group of filter.groups) members.set(group, await groupMembers(hub, group));
  return connections
    .filter((connection) => filter.matches({ ...connection, inGroup: (group) => members.get(group)?.has(connection.connectionId) ?? false }))
    .map((connection) => connection.connectionId);
}

async function groupMembers(hub: HubTarget, group: string): Promise<Set<string>> {
  const members = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await hub.context.presence.groupConnections(group, { cursor, limit: CHUNK });
    for (const connection of page.items) members.add(connection.connectionId);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return members;
}

function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let start = 0; start < ids.length; start += CHUNK) out.push(ids.slice(start, start + CHUNK));
  return out;
}

/**
 * The chat view's state: one room per workflow joined (and one for messages to everyone), each
 * with its lines — messages, joins and leaves, recovery notices — in arrival order, each shown
 * once, and who is there. A pure reducer, so the page only dispatches what the hub sends.
 * @module
 */
import type { ChatMembershipChange, ChatMessage } from '../../hubs/contracts';

/** The room of messages sent to everyone (by users in no workflow). */
export const EVERYONE = '*';

/** Lines kept per room; older ones scroll away. */
export const MAX_LINES = 500;

/** One line of a room. */
export type ChatLine =
  | { readonly kind: 'message'; readonly key: string; readonly user: string; readonly text: string; readonly timestamp: string; readonly offset: number | undefined }
  | { readonly kind: 'joined' | 'left'; readonly key: string; readonly user: string; readonly timestamp: string; readonly offset: number | undefined; readonly reason?: 'left' | 'disconnected' }
  | { readonly kind: 'notice'; readonly key: string; readonly tone: 'info' | 'warning'; readonly text: string; readonly timestamp: string };

/** A room: its lines and who is in it. */
export interface ChatRoom {
  readonly id: string;
  readonly lines: readonly ChatLine[];
  /**
   * Who is there besides this connection: connection id → user, from `UserJoined` / `UserLeft`;
   * a user seen writing before any join of theirs was seen stands under `user:<name>`.
   */
  readonly members: Readonly<Record<string, string>>;
  /** The last recovery outcome after a reconnect, for the room's banner. */
  readonly recovery: { readonly recovered: boolean; readonly replayed: number } | undefined;
}

/** Every room, in the order they were opened, and the keys of the lines already shown. */
export interface ChatLog {
  readonly rooms: readonly ChatRoom[];
  readonly seen: ReadonlySet<string>;
}

export type ChatAction =
  | { readonly kind: 'message'; readonly message: ChatMessage; readonly offset?: number | undefined }
  | { readonly kind: 'joined' | 'left'; readonly change: ChatMembershipChange & { readonly reason?: 'left' | 'disconnected' }; readonly offset?: number | undefined }
  | { readonly kind: 'open'; readonly room: string }
  | { readonly kind: 'close'; readonly room: string }
  | { readonly kind: 'recovery'; readonly room: string; readonly recovered: boolean; readonly replayed: number; readonly timestamp: string }
  | { readonly kind: 'members'; readonly room: string; readonly members: readonly { readonly connectionId: string; readonly user: string | null }[]; readonly self: string | undefined }
  | { readonly kind: 'reset' };

/** A log with only the everyone room. */
export function emptyChatLog(): ChatLog {
  return { rooms: [newRoom(EVERYONE)], seen: new Set() };
}

function newRoom(id: string): ChatRoom {
  return { id, lines: [], members: {}, recovery: undefined };
}

/** The key of a message line: a message sent to several workflows is one line in each. */
export function messageKey(message: ChatMessage): string {
  return `m:${message.workflowId ?? EVERYONE}:${message.messageId}`;
}

function changeKey(kind: 'joined' | 'left', change: ChatMembershipChange): string {
  return `${kind}:${change.workflowId}:${change.connectionId}:${change.timestamp}`;
}

function withLine(room: ChatRoom, line: ChatLine): ChatRoom {
  const lines = room.lines.length >= MAX_LINES ? [...room.lines.slice(room.lines.length - MAX_LINES + 1), line] : [...room.lines, line];
  return { ...room, lines };
}

function hasUser(members: Readonly<Record<string, string>>, user: string): boolean {
  return Object.values(members).includes(user);
}

function withoutKey(members: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const { [key]: _removed, ...rest } = members;
  return rest;
}

/** Applies `update` to the room `id` (messages for a room not open are not shown: it was left). */
function updateRoom(log: ChatLog, id: string, key: string | undefined, update: (room: ChatRoom) => ChatRoom): ChatLog {
  const index = log.rooms.findIndex((room) => room.id === id);
  if (index < 0 || (key !== undefined && log.seen.has(key))) return log;
  const rooms = [...log.rooms];
  rooms[index] = update(rooms[index]!);
  if (key === undefined) return { ...log, rooms };
  const seen = new Set(log.seen);
  seen.add(key);
  return { rooms, seen };
}

/** The chat log after `action`. */
export function chatReducer(log: ChatLog, action: ChatAction): ChatLog {
  switch (action.kind) {
    case 'message': {
      const { message } = action;
      const key = messageKey(message);
      return updateRoom(log, message.workflowId ?? EVERYONE, key, (room) => {
        const members = message.workflowId === null || hasUser(room.members, message.user) ? room.members : { ...room.members, [`user:${message.user}`]: message.user };
        return { ...withLine(room, { kind: 'message', key, user: message.user, text: message.text, timestamp: message.timestamp, offset: action.offset }), members };
      });
    }
    case 'joined':
    case 'left': {
      const { change } = action;
      const key = changeKey(action.kind, change);
      return updateRoom(log, change.workflowId, key, (room) => {
        let members: Record<string, string>;
        if (action.kind === 'joined') {
          members = { ...withoutKey(room.members, `user:${change.user}`), [change.connectionId]: change.user };
        } else {
          members = withoutKey(room.members, change.connectionId);
          // A writer whose join was never seen: gone once a leave of theirs comes and no other connection of theirs is known.
          if (!Object.entries(members).some(([id, user]) => user === change.user && !id.startsWith('user:'))) members = withoutKey(members, `user:${change.user}`);
        }
        const line: ChatLine = { kind: action.kind, key, user: change.user, timestamp: change.timestamp, offset: action.offset, ...(change.reason === undefined ? {} : { reason: change.reason }) };
        return { ...withLine(room, line), members };
      });
    }
    case 'open':
      return log.rooms.some((room) => room.id === action.room) ? log : { ...log, rooms: [...log.rooms, newRoom(action.room)] };
    case 'close':
      return action.room === EVERYONE ? log : { ...log, rooms: log.rooms.filter((room) => room.id !== action.room) };
    case 'recovery': {
      const text = action.recovered
        ? `Reconnected: ${action.replayed === 1 ? '1 missed line' : `${action.replayed} missed lines`} recovered.`
        : 'Reconnected, but what was sent meanwhile could not be recovered (older than the workflow’s history): it is missing here.';
      const line: ChatLine = { kind: 'notice', key: `notice:${action.room}:${action.timestamp}`, tone: action.recovered ? 'info' : 'warning', text, timestamp: action.timestamp };
      return updateRoom(log, action.room, undefined, (room) => ({ ...withLine(room, line), recovery: { recovered: action.recovered, replayed: action.replayed } }));
    }
    case 'members':
      // The hub's list at join time is who is there; joins and leaves seen later keep it current.
      return updateRoom(log, action.room, undefined, (room) => {
        const members: Record<string, string> = {};
        for (const member of action.members) if (member.user !== null && member.connectionId !== action.self) members[member.connectionId] = member.user;
        for (const [key, user] of Object.entries(room.members)) if (!(key in members) && !Object.values(members).includes(user)) members[key] = user;
        return { ...room, members };
      });
    case 'reset':
      return emptyChatLog();
  }
}

/** The users in a room (besides this connection), each once, sorted. */
export function usersIn(room: ChatRoom): string[] {
  return [...new Set(Object.values(room.members))].sort((a, b) => a.localeCompare(b));
}

/**
 * A minimal chat hub: messages to everyone or to a room. (The full chat hub of the users'
 * systems, with authentication and workflows, replaces it.)
 * @module
 */
import { Hub, HubError } from 'hubwire';

/** What chat clients handle. */
export interface ChatClient {
  receiveMessage(message: { user: string; text: string; room?: string; timestamp: string }): void;
}

const MAX_TEXT = 2000;

/** Clients call `SendMessage`, `JoinRoom`, `LeaveRoom` and `SendToRoom`. */
export class ChatHub extends Hub<ChatClient> {
  async sendMessage(user: string, text: string): Promise<void> {
    await this.clients.all.receiveMessage({ user: checkUser(user), text: checkText(text), timestamp: new Date().toISOString() });
  }

  async joinRoom(room: string): Promise<void> {
    await this.groups.add(this.context.connectionId, checkRoom(room));
  }

  async leaveRoom(room: string): Promise<void> {
    await this.groups.remove(this.context.connectionId, checkRoom(room));
  }

  async sendToRoom(room: string, user: string, text: string): Promise<void> {
    await this.clients.group(checkRoom(room)).receiveMessage({ user: checkUser(user), text: checkText(text), room, timestamp: new Date().toISOString() });
  }
}

function checkText(text: unknown): string {
  if (typeof text !== 'string' || text.length === 0) throw new HubError('A message needs some text.');
  if (text.length > MAX_TEXT) throw new HubError(`A message may have at most ${MAX_TEXT} characters.`);
  return text;
}

function checkUser(user: unknown): string {
  if (typeof user !== 'string' || user.length === 0 || user.length > 64) throw new HubError('A user name needs 1 to 64 characters.');
  return user;
}

function checkRoom(room: unknown): string {
  if (typeof room !== 'string' || room.length === 0 || room.length > 64) throw new HubError('A room name needs 1 to 64 characters.');
  return room;
}

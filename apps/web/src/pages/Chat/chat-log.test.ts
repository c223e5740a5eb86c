import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../hubs/contracts';
import { chatReducer, emptyChatLog, EVERYONE, MAX_LINES, usersIn, type ChatAction, type ChatLog } from './chat-log';

const message = (id: string, workflowId: string | null, user = 'jane.smith', text = `text ${id}`): ChatMessage => ({ messageId: id, user, text, workflowId, timestamp: '2025-01-01T12:00:00.000Z' });
const change = (workflowId: string, user: string, connectionId: string, timestamp = '2025-01-01T12:00:01.000Z') => ({ workflowId, user, connectionId, timestamp });
const run = (actions: readonly ChatAction[], log: ChatLog = emptyChatLog()) => actions.reduce(chatReducer, log);
const room = (log: ChatLog, id: string) => log.rooms.find((candidate) => candidate.id === id)!;

describe('the chat log', () => {
  it('puts each message in its workflow\'s room, once, with its offset', () => {
    const log = run([
      { kind: 'open', room: 'general' },
      { kind: 'message', message: message('m1', 'general'), offset: 1 },
      { kind: 'message', message: message('m1', 'general'), offset: 1 },
      { kind: 'message', message: message('m2', null) },
    ]);
    expect(room(log, 'general').lines.map((line) => line.kind === 'message' && [line.text, line.offset])).toEqual([['text m1', 1]]);
    expect(room(log, EVERYONE).lines).toHaveLength(1);
  });

  it('shows a message sent to two workflows in both rooms', () => {
    const log = run([{ kind: 'open', room: 'a' }, { kind: 'open', room: 'b' }, { kind: 'message', message: message('m1', 'a') }, { kind: 'message', message: message('m1', 'b') }]);
    expect(room(log, 'a').lines).toHaveLength(1);
    expect(room(log, 'b').lines).toHaveLength(1);
  });

  it('ignores what comes for a room not open (a workflow just left)', () => {
    const log = run([{ kind: 'open', room: 'ops' }, { kind: 'close', room: 'ops' }, { kind: 'message', message: message('m1', 'ops') }]);
    expect(log.rooms.map((candidate) => candidate.id)).toEqual([EVERYONE]);
  });

  it('knows who is there from joins, leaves and writers', () => {
    let log = run([
      { kind: 'open', room: 'general' },
      { kind: 'joined', change: change('general', 'john.doe', 'c-1') },
      { kind: 'message', message: message('m1', 'general', 'ada') },
    ]);
    expect(usersIn(room(log, 'general'))).toEqual(['ada', 'john.doe']);
    // A second connection of john, then one leaves: john is still there.
    log = run([{ kind: 'joined', change: change('general', 'john.doe', 'c-2') }, { kind: 'left', change: { ...change('general', 'john.doe', 'c-1', 't2'), reason: 'left' } }], log);
    expect(usersIn(room(log, 'general'))).toEqual(['ada', 'john.doe']);
    log = run([{ kind: 'left', change: { ...change('general', 'john.doe', 'c-2', 't3'), reason: 'disconnected' } }, { kind: 'left', change: { ...change('general', 'ada', 'c-9', 't4'), reason: 'left' } }], log);
    expect(usersIn(room(log, 'general'))).toEqual([]);
    expect(room(log, 'general').lines.map((line) => line.kind)).toEqual(['joined', 'message', 'joined', 'left', 'left', 'left']);
  });

  it('the hub\'s member list at join seeds who is there, without this connection, and later changes keep it current', () => {
    const log = run([
      { kind: 'open', room: 'g' },
      { kind: 'message', message: message('m1', 'g', 'early.writer') },
      {
        kind: 'members',
        room: 'g',
        self: 'c-me',
        members: [
          { connectionId: 'c-me', user: 'jane.smith' },
          { connectionId: 'c-1', user: 'john.doe' },
          { connectionId: 'c-2', user: 'early.writer' },
          { connectionId: 'c-3', user: null },
        ],
      },
    ]);
    expect(room(log, 'g').members).toEqual({ 'c-1': 'john.doe', 'c-2': 'early.writer' });
    const later = run([{ kind: 'left', change: { ...change('g', 'john.doe', 'c-1'), reason: 'left' } }], log);
    expect(usersIn(room(later, 'g'))).toEqual(['early.writer']);
  });

  it('a writer who then joins from another connection is listed once', () => {
    const log = run([{ kind: 'open', room: 'g' }, { kind: 'message', message: message('m1', 'g', 'john.doe') }, { kind: 'joined', change: change('g', 'john.doe', 'c-1') }]);
    expect(room(log, 'g').members).toEqual({ 'c-1': 'john.doe' });
  });

  it('notes a recovery in the room, and whether it recovered', () => {
    const log = run([
      { kind: 'open', room: 'g' },
      { kind: 'recovery', room: 'g', recovered: true, replayed: 2, timestamp: 't1' },
      { kind: 'recovery', room: 'g', recovered: false, replayed: 0, timestamp: 't2' },
    ]);
    const lines = room(log, 'g').lines;
    expect(lines.map((line) => line.kind === 'notice' && line.tone)).toEqual(['info', 'warning']);
    expect(lines[0]!.kind === 'notice' && lines[0]!.text).toBe('Reconnected: 2 missed lines recovered.');
    expect(room(log, 'g').recovery).toEqual({ recovered: false, replayed: 0 });
  });

  it('keeps the latest lines of a room', () => {
    const actions: ChatAction[] = [{ kind: 'open', room: 'g' }];
    for (let index = 0; index < MAX_LINES + 5; index++) actions.push({ kind: 'message', message: message(`m${index}`, 'g') });
    const lines = room(run(actions), 'g').lines;
    expect(lines).toHaveLength(MAX_LINES);
    expect(lines[0]!.kind === 'message' && lines[0]!.text).toBe('text m5');
  });

  it('starts over on reset (a new login)', () => {
    const log = run([{ kind: 'open', room: 'g' }, { kind: 'message', message: message('m1', null) }, { kind: 'reset' }]);
    expect(log).toEqual(emptyChatLog());
  });
});

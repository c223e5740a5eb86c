/**
 * Chat with workflows (/hubs/chat): join and leave workflows, see who is there, send messages.
 * Each workflow is a recoverable subscription: after a reconnect the messages missed are
 * replayed, and a notice says when they could not be.
 * @module
 */
import { useReducer, useState, type FormEvent } from 'react';
import { useAuth } from '../../auth/auth-context';
import { Page } from '../../components/Page';
import type { ChatClient, ChatServer } from '../../hubs/contracts';
import { useHub } from '../../hubs/use-hub';
import { chatReducer, emptyChatLog, EVERYONE, usersIn, type ChatLine, type ChatRoom } from './chat-log';
import { useWorkflows } from './use-workflows';
import './chat.css';

export const CHAT_HUB = '/hubs/chat';

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^.*HubException: /, '');

function roomTitle(id: string): string {
  return id === EVERYONE ? 'Everyone' : id;
}

function formatClock(timestamp: string): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleTimeString();
}

function Line({ line, me }: { readonly line: ChatLine; readonly me: string }) {
  const offset = line.kind === 'notice' ? undefined : line.offset;
  return (
    <li className={`chat-line chat-line-${line.kind}${line.kind === 'notice' ? ` tone-${line.tone}` : ''}`} data-testid="chat-line" data-kind={line.kind} data-offset={offset}>
      <time dateTime={line.timestamp} className="muted">
        {formatClock(line.timestamp)}
      </time>
      {line.kind === 'message' ? (
        <span>
          <strong className={line.user === me ? 'chat-me' : undefined}>{line.user}</strong> <span data-testid="chat-text">{line.text}</span>
        </span>
      ) : line.kind === 'notice' ? (
        <span role={line.tone === 'warning' ? 'alert' : undefined}>{line.text}</span>
      ) : (
        <span className="muted">
          {line.user} {line.kind === 'joined' ? 'joined' : line.reason === 'disconnected' ? 'disconnected' : 'left'}
        </span>
      )}
    </li>
  );
}

function Conversation({ room, me }: { readonly room: ChatRoom; readonly me: string }) {
  const others = usersIn(room).filter((user) => user !== me);
  return (
    <>
      {room.recovery === undefined ? null : (
        <p className={`notice ${room.recovery.recovered ? '' : 'notice-warning'}`} data-testid="chat-recovery" data-recovered={String(room.recovery.recovered)}>
          {room.recovery.recovered
            ? `After the last reconnect ${room.recovery.replayed === 1 ? '1 missed line was' : `${room.recovery.replayed} missed lines were`} recovered.`
            : 'After the last reconnect the missed messages could not be recovered: the workflow’s history no longer had them.'}
        </p>
      )}
      {room.id === EVERYONE ? (
        <p className="muted">Messages of users in no workflow reach everyone connected; yours go here while you are in none.</p>
      ) : (
        <p className="chat-members" data-testid="chat-members">
          <span className="muted">Here:</span> <span className="chat-member">you ({me})</span>
          {others.map((user) => (
            <span key={user} className="chat-member" data-testid="chat-member">
              {user}
            </span>
          ))}
        </p>
      )}
      {room.lines.length === 0 ? (
        <p className="muted" data-testid="chat-empty">
          No messages yet.
        </p>
      ) : (
        <ol className="chat-lines" data-testid="chat-lines" aria-live="polite" aria-label={`Messages in ${roomTitle(room.id)}`}>
          {room.lines.map((line) => (
            <Line key={line.key} line={line} me={me} />
          ))}
        </ol>
      )}
    </>
  );
}

/** The chat view. */
export function ChatPage() {
  const { user } = useAuth();
  const me = user?.id ?? '';
  const [log, dispatch] = useReducer(chatReducer, undefined, emptyChatLog);
  const chat = useHub<ChatServer, ChatClient>(CHAT_HUB, (hub) => [
    hub.on.ReceiveMessage((message, position) => dispatch({ kind: 'message', message, offset: position?.offset })),
    hub.on.UserJoined((change, position) => dispatch({ kind: 'joined', change, offset: position?.offset })),
    hub.on.UserLeft((change, position) => dispatch({ kind: 'left', change, offset: position?.offset })),
  ]);
  const workflows = useWorkflows(chat.hub, dispatch);
  const [workflowInput, setWorkflowInput] = useState('general');
  const [selected, setSelected] = useState(EVERYONE);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const connected = chat.state === 'connected';
  const room = log.rooms.find((candidate) => candidate.id === selected) ?? log.rooms[0]!;

  const join = async (event: FormEvent) => {
    event.preventDefault();
    const id = workflowInput.trim();
    if (id === '') return;
    setBusy(true);
    setError(undefined);
    try {
      await workflows.join(id);
      setSelected(id);
    } catch (failure) {
      setError(`Could not join ${id}: ${errorText(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  const leave = async (id: string) => {
    setError(undefined);
    if (selected === id) setSelected(EVERYONE);
    await workflows.leave(id).catch((failure: unknown) => setError(`Could not leave ${id}: ${errorText(failure)}`));
  };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (chat.hub === undefined || text.trim() === '') return;
    setError(undefined);
    try {
      await chat.hub.invoke.sendMessage(text);
      setText('');
    } catch (failure) {
      setError(`Not sent: ${errorText(failure)}`);
    }
  };

  const audience = workflows.joined.length === 0 ? 'everyone connected' : workflows.joined.join(', ');
  return (
    <Page title="Chat" testId="page-chat">
      <p className="muted">
        Workflows of <code>{CHAT_HUB}</code>: a message goes to every workflow you are in (to everyone while you are in none). After a reconnect each workflow is joined again from the
        last message received and what was missed is replayed.
      </p>
      <form className="chat-join" onSubmit={(event) => void join(event)}>
        <label htmlFor="chat-workflow">Workflow</label>
        <input id="chat-workflow" data-testid="chat-workflow-input" value={workflowInput} maxLength={100} onChange={(event) => setWorkflowInput(event.target.value)} />
        <button type="submit" data-testid="chat-join" disabled={!connected || busy || workflowInput.trim() === ''}>
          Join
        </button>
      </form>
      {error === undefined ? null : (
        <p className="notice notice-error" role="alert" data-testid="chat-error">
          {error}
        </p>
      )}
      <div className="chat-layout">
        <nav className="chat-rooms" aria-label="Rooms">
          <ul>
            {log.rooms.map((candidate) => (
              <li key={candidate.id} className="chat-room">
                <button type="button" className="button-quiet" aria-pressed={candidate.id === room.id} data-testid={`chat-room-${candidate.id === EVERYONE ? 'everyone' : candidate.id}`} onClick={() => setSelected(candidate.id)}>
                  {roomTitle(candidate.id)} <span className="count">{candidate.lines.filter((line) => line.kind === 'message').length}</span>
                </button>
                {candidate.id === EVERYONE ? null : (
                  <button type="button" className="button-quiet chat-leave" data-testid={`chat-leave-${candidate.id}`} aria-label={`Leave ${candidate.id}`} onClick={() => void leave(candidate.id)}>
                    Leave
                  </button>
                )}
              </li>
            ))}
          </ul>
        </nav>
        <section className="chat-conversation" aria-labelledby="chat-room-title" data-testid="chat-conversation" data-room={room.id}>
          <h2 id="chat-room-title">{roomTitle(room.id)}</h2>
          <Conversation room={room} me={me} />
          <form className="chat-composer" onSubmit={(event) => void send(event)}>
            <label htmlFor="chat-text">Message to {audience}</label>
            <div className="chat-composer-row">
              <input id="chat-text" data-testid="chat-input" value={text} maxLength={2000} autoComplete="off" onChange={(event) => setText(event.target.value)} />
              <button type="submit" data-testid="chat-send" disabled={!connected || text.trim() === ''}>
                Send
              </button>
            </div>
          </form>
        </section>
      </div>
    </Page>
  );
}

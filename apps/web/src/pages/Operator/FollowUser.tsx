/**
 * Follow a user's connections: enter a user id, see their connections on every hub (node,
 * transport, protocol, groups, since when), refreshed every two seconds; message or disconnect
 * one from the list.
 * @module
 */
import { useId, useState, type FormEvent } from 'react';
import type { AimSend } from './connection-actions';
import { DisconnectButton } from './DisconnectButton';
import { operatorPaths, TRANSPORT_LABELS, type UserConnections } from './operator-api';
import { usePolling } from './use-polling';

const POLL_MS = 2000;

/** The follow panel. */
export function FollowUser({ aim }: { readonly aim: AimSend }) {
  const [typed, setTyped] = useState('');
  const [followed, setFollowed] = useState<string | undefined>(undefined);
  const inputId = useId();
  const connections = usePolling<UserConnections>(followed === undefined ? undefined : operatorPaths.userConnections(followed), POLL_MS);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const user = typed.trim();
    setFollowed(user === '' ? undefined : user);
  };
  const data = connections.data;
  return (
    <section className="admin-panel" aria-labelledby={`${inputId}-title`} data-testid="follow-user">
      <h2 id={`${inputId}-title`}>Follow a user</h2>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor={inputId}>User id</label>
        <input id={inputId} value={typed} onChange={(event) => setTyped(event.target.value)} placeholder="e.g. jane.smith" maxLength={1024} data-testid="follow-input" />
        <button type="submit" data-testid="follow-submit">
          Follow
        </button>
        {followed === undefined ? null : (
          <button type="button" className="button-quiet" onClick={() => setFollowed(undefined)}>
            Stop
          </button>
        )}
      </form>
      {followed === undefined ? null : connections.error !== undefined ? (
        <p className="notice notice-error" role="alert">
          {connections.error}
        </p>
      ) : data === undefined ? (
        <p className="muted">Looking for {followed}…</p>
      ) : (
        <div data-testid="followed" data-user={data.user} data-online={data.online}>
          <p className="muted" aria-live="polite">
            <strong>{data.user}</strong> is {data.online ? `online with ${data.connections.length} connection${data.connections.length === 1 ? '' : 's'}` : 'not connected'} · as of {connections.at === undefined ? '' : new Date(connections.at).toLocaleTimeString()}
          </p>
          {data.connections.length === 0 ? null : (
            <div className="table-scroll">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Hub</th>
                    <th scope="col">Connection</th>
                    <th scope="col">Transport</th>
                    <th scope="col">Protocol</th>
                    <th scope="col">Node</th>
                    <th scope="col">Groups</th>
                    <th scope="col">Since</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.connections.map((connection) => (
                    <tr key={connection.connectionId} data-testid="followed-connection" data-hub={connection.hub} data-connection={connection.connectionId} data-transport={connection.transport ?? ''}>
                      <th scope="row">{connection.hub}</th>
                      <td className="cell-text">
                        <code>{connection.connectionId}</code>
                      </td>
                      <td className="cell-text">{connection.transport === null ? '–' : TRANSPORT_LABELS[connection.transport]}</td>
                      <td className="cell-text">{connection.protocol ?? '–'}</td>
                      <td className="cell-text">
                        <code>{connection.nodeId}</code>
                      </td>
                      <td className="cell-text">{connection.groups === null ? '–' : connection.groups.length === 0 ? 'none' : connection.groups.join(', ')}</td>
                      <td className="cell-text">{connection.connectedAt === null ? '–' : new Date(connection.connectedAt).toLocaleTimeString()}</td>
                      <td className="cell-actions">
                        <button type="button" className="button-quiet" onClick={() => aim(connection.hub, 'connection', connection.connectionId)} data-testid="followed-message">
                          Message
                        </button>
                        <DisconnectButton hub={connection.hub} connectionId={connection.connectionId} onDone={connections.refresh} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <button type="button" className="button-quiet" onClick={() => aim(data.connections[0]?.hub ?? '', 'user', data.user)} data-testid="follow-message-user">
            Message this user
          </button>
        </div>
      )}
    </section>
  );
}

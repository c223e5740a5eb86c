/**
 * Groups and their members (presence, over every node): pick a hub, see its groups with their
 * connection counts, open one to see its connections (user, node) and users.
 * @module
 */
import { useId, useState } from 'react';
import type { AimSend } from './connection-actions';
import { DisconnectButton } from './DisconnectButton';
import { operatorPaths, type GroupMembers, type HubGroups } from './operator-api';
import { usePolling } from './use-polling';

const POLL_MS = 3000;

function Members({ hub, group, aim }: { readonly hub: string; readonly group: string; readonly aim: AimSend }) {
  const members = usePolling<GroupMembers>(operatorPaths.group(hub, group), POLL_MS);
  const data = members.data;
  return (
    <div className="group-members" data-testid="group-members" data-group={group}>
      <div className="panel-head">
        <h3>
          <code>{group}</code>: {data === undefined ? '…' : `${data.connectionCount} connections, ${data.userCount} users`}
        </h3>
        <button type="button" className="button-quiet" onClick={() => aim(hub, 'group', group)} data-testid="group-message">
          Message the group
        </button>
      </div>
      {members.error === undefined ? null : (
        <p className="notice notice-error" role="alert">
          {members.error}
        </p>
      )}
      {data === undefined ? null : (
        <>
          <div className="table-scroll">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Connection</th>
                  <th scope="col">User</th>
                  <th scope="col">Node</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.connections.items.map((member) => (
                  <tr key={member.connectionId} data-testid="group-member" data-connection={member.connectionId}>
                    <th scope="row">
                      <code>{member.connectionId}</code>
                    </th>
                    <td className="cell-text">{member.userId ?? <span className="muted">anonymous</span>}</td>
                    <td className="cell-text">
                      <code>{member.nodeId}</code>
                    </td>
                    <td className="cell-actions">
                      <button type="button" className="button-quiet" onClick={() => aim(hub, 'connection', member.connectionId)}>
                        Message
                      </button>
                      <DisconnectButton hub={hub} connectionId={member.connectionId} onDone={members.refresh} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.connections.cursor === null ? null : <p className="muted">Showing the first {data.connections.items.length} connections.</p>}
          <p className="muted">Users: {data.users.items.length === 0 ? 'none' : data.users.items.join(', ')}</p>
        </>
      )}
    </div>
  );
}

/** The groups panel for the hubs named in `hubs`. */
export function GroupsPanel({ hubs, aim }: { readonly hubs: readonly string[]; readonly aim: AimSend }) {
  const [hub, setHub] = useState<string>('');
  const [group, setGroup] = useState<string | undefined>(undefined);
  const selectId = useId();
  const chosen = hub === '' ? hubs[0] : hub;
  const groups = usePolling<HubGroups>(chosen === undefined ? undefined : operatorPaths.groups(chosen), POLL_MS);
  return (
    <section className="admin-panel" aria-labelledby={`${selectId}-title`} data-testid="operator-groups">
      <div className="panel-head">
        <h2 id={`${selectId}-title`}>Groups and members</h2>
        <div className="inline-field">
          <label htmlFor={selectId}>Hub</label>
          <select
            id={selectId}
            value={chosen ?? ''}
            onChange={(event) => {
              setHub(event.target.value);
              setGroup(undefined);
            }}
            data-testid="groups-hub"
          >
            {hubs.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {groups.error === undefined ? null : (
        <p className="notice notice-error" role="alert">
          {groups.error}
        </p>
      )}
      {groups.data === undefined ? null : groups.data.groups.items.length === 0 ? (
        <p className="muted" data-testid="groups-empty">
          No group of <code>{groups.data.path}</code> has a member.
        </p>
      ) : (
        <>
          <p className="muted">{groups.data.groupCount} groups with members:</p>
          <ul className="group-list">
            {groups.data.groups.items.map((item) => (
              <li key={item.group}>
                <button type="button" className="button-quiet" aria-pressed={group === item.group} onClick={() => setGroup(group === item.group ? undefined : item.group)} data-testid="group" data-group={item.group}>
                  {item.group} <span className="tally">{item.connections}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {chosen === undefined || group === undefined ? null : <Members hub={chosen} group={group} aim={aim} />}
    </section>
  );
}

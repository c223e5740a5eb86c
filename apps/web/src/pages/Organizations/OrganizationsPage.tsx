/**
 * Organization notifications (/hubs/synaxis): follow one of your organizations (from your token's
 * `orgs`), switch between them, try one you are not a member of and see the hub's refusal. After
 * a reconnect the organization is joined again from the last notification received.
 * @module
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useAuth } from '../../auth/auth-context';
import { Page } from '../../components/Page';
import type { SynaxisClient, SynaxisNotification, SynaxisServer } from '../../hubs/contracts';
import { useHub } from '../../hubs/use-hub';
import { addNotification, formatNotification, NOTIFICATION_TYPES, type NotificationLog, type ReceivedNotification } from './notifications';
import { useOrganization } from './use-organization';
import './organizations.css';

export const SYNAXIS_HUB = '/hubs/synaxis';

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^.*HubException: /, '');

function NotificationItem({ received }: { readonly received: ReceivedNotification }) {
  const { notification } = received;
  const shown = formatNotification(notification);
  return (
    <li className="org-notification" data-testid="org-notification" data-type={notification.type} data-org={notification.organizationId} data-offset={received.offset}>
      <div className="org-notification-head">
        <span className={`org-badge org-tone-${shown.tone}`}>{shown.label}</span>
        <strong>{shown.summary}</strong>
        <time dateTime={notification.timestamp} className="muted">
          {new Date(notification.timestamp).toLocaleTimeString()}
        </time>
      </div>
      {shown.details.length === 0 ? null : <p className="org-details muted">{shown.details.join(' · ')}</p>}
    </li>
  );
}

/** The organizations view. */
export function OrganizationsPage() {
  const { user } = useAuth();
  const memberOf = user?.organizations ?? [];
  const [log, setLog] = useState<NotificationLog>({});
  const synaxis = useHub<SynaxisServer, SynaxisClient>(SYNAXIS_HUB, (hub) =>
    NOTIFICATION_TYPES.map((type) =>
      // Every type is one object; the position (trailing) says where it stands in the organization's history.
      (hub.on[type] as (handler: (notification: SynaxisNotification, position?: { offset: number }) => void) => () => void)((notification, position) =>
        setLog((current) => addNotification(current, { notification, offset: position?.offset })),
      ),
    ),
  );
  const follow = useOrganization(synaxis.hub);
  const [other, setOther] = useState('');
  const [refusal, setRefusal] = useState<string | undefined>(undefined);
  const [tried, setTried] = useState<readonly string[]>([]);
  const connected = synaxis.state === 'connected';

  const switchTo = async (organizationId: string) => {
    setRefusal(undefined);
    try {
      await follow.switchTo(organizationId);
      if (!memberOf.includes(organizationId)) setTried((ids) => (ids.includes(organizationId) ? ids : [...ids, organizationId]));
    } catch (error) {
      setRefusal(errorText(error));
    }
  };

  // The first organization of the token, once connected: notifications show without a click.
  const first = memberOf[0];
  const { active, switching } = follow;
  useEffect(() => {
    if (connected && first !== undefined && active === undefined && switching === undefined) void switchTo(first);
    // switchTo is recreated each render; what matters is the connection and what is joined.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [connected, first, active, switching, synaxis.hub]);

  const joinOther = (event: FormEvent) => {
    event.preventDefault();
    const id = other.trim().toLowerCase();
    if (id !== '') void switchTo(id);
  };

  const choices = [...memberOf, ...tried.filter((id) => !memberOf.includes(id))];
  const shown = active === undefined ? [] : (log[active] ?? []);
  return (
    <Page title="Organizations" testId="page-organizations">
      <p className="muted">
        Notifications of <code>{SYNAXIS_HUB}</code> — provider health, cost optimizations, new models, security alerts, audit events — for one organization at a time. Only its members
        may join it; your memberships come from your token.
      </p>
      <section aria-labelledby="org-switch-title" className="org-switcher">
        <h2 id="org-switch-title">Your organizations</h2>
        {choices.length === 0 ? (
          <p className="muted" data-testid="org-none">
            Your token names no organization.
          </p>
        ) : (
          <div className="org-choices" role="group" aria-label="Switch organization">
            {choices.map((id) => (
              <button key={id} type="button" className="button-quiet" aria-pressed={active === id} disabled={!connected || switching !== undefined} data-testid={`org-switch-${id}`} onClick={() => void switchTo(id)}>
                {id}
              </button>
            ))}
          </div>
        )}
        <form className="org-other" onSubmit={joinOther}>
          <label htmlFor="org-other">Another organization</label>
          <input id="org-other" data-testid="org-other-input" value={other} maxLength={64} placeholder="globex" onChange={(event) => setOther(event.target.value)} />
          <button type="submit" data-testid="org-other-join" disabled={!connected || other.trim() === '' || switching !== undefined}>
            Join
          </button>
        </form>
      </section>
      {refusal === undefined ? null : (
        <p className="notice notice-error" role="alert" data-testid="org-refusal">
          {refusal}
          {active === undefined ? '' : ` You are still following ${active}.`}
        </p>
      )}
      <p aria-live="polite" data-testid="org-active" data-org={active ?? ''}>
        {switching !== undefined ? `Joining ${switching}…` : active === undefined ? 'Not following an organization.' : <>Following <strong>{active}</strong>.</>}
      </p>
      {follow.recovery === undefined || follow.recovery.organizationId !== active ? null : (
        <p className={`notice ${follow.recovery.recovered ? '' : 'notice-warning'}`} data-testid="org-recovery" data-recovered={String(follow.recovery.recovered)}>
          {follow.recovery.recovered
            ? `Reconnected: ${follow.recovery.replayed === 1 ? '1 missed notification' : `${follow.recovery.replayed} missed notifications`} recovered.`
            : 'Reconnected, but the notifications sent meanwhile could not be recovered (older than the history): some may be missing.'}
        </p>
      )}
      {active === undefined ? null : shown.length === 0 ? (
        <p className="muted" data-testid="org-empty">
          No notifications yet: the agents send one every few seconds to organizations with members online.
        </p>
      ) : (
        <ol className="org-notifications" data-testid="org-notifications">
          {shown.map((received) => (
            <NotificationItem key={received.notification.notificationId} received={received} />
          ))}
        </ol>
      )}
    </Page>
  );
}

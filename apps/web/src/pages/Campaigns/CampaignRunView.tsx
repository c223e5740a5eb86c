/**
 * `/campaigns/<id>`: one campaign run live — its state, audit, artifacts with their progress, the
 * numbered event log, how the view got in step (recovered from its last sequence, or from a
 * snapshot) — and its cancellation.
 * @module
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { useApi } from '../../api/use-api';
import { useAuth } from '../../auth/auth-context';
import { Page } from '../../components/Page';
import type { CampaignDetails } from '../../hubs/contracts';
import { isFinal, type CampaignSync, type CampaignView } from './campaign-view';
import { useCampaignRun } from './use-campaign-run';

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function syncText(sync: CampaignSync): string {
  if (sync.mode === 'recovered') return `Recovered: joined from event #${sync.from}, ${sync.replayed === 1 ? '1 event' : `${sync.replayed} events`} replayed — no gap, no repeat.`;
  return `Snapshot: started from the server's state at event #${sync.sequence}.`;
}

function Artifacts({ view }: { readonly view: CampaignView }) {
  if (view.artifacts.length === 0) return <p className="muted">No artifacts planned yet.</p>;
  return (
    <table className="campaign-artifacts" data-testid="campaign-artifacts-table">
      <caption className="muted">Artifacts</caption>
      <thead>
        <tr>
          <th scope="col">Artifact</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
        </tr>
      </thead>
      <tbody>
        {view.artifacts.map((artifact) => (
          <tr key={artifact.artifactId} data-testid="campaign-artifact" data-status={artifact.status}>
            <td>
              {artifact.title} <span className="muted">({artifact.kind})</span>
            </td>
            <td>
              <span className={`campaign-state artifact-${artifact.status}`}>{artifact.status}</span>
            </td>
            <td>
              <progress max={100} value={artifact.progress} aria-label={`${artifact.title}: ${artifact.progress} %`} /> {artifact.progress} %
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CancelForm({ campaignId, onError }: { readonly campaignId: string; readonly onError: (message: string | undefined) => void }) {
  const api = useApi();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const cancel = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    onError(undefined);
    try {
      await api.post(`/api/campaigns/${encodeURIComponent(campaignId)}/cancel`, reason.trim() === '' ? {} : { reason: reason.trim() });
    } catch (failure) {
      onError(`Not cancelled: ${errorText(failure)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="campaign-cancel" onSubmit={(event) => void cancel(event)}>
      <label htmlFor="campaign-cancel-reason">Reason</label>
      <input id="campaign-cancel-reason" data-testid="campaign-cancel-reason" value={reason} maxLength={500} onChange={(event) => setReason(event.target.value)} />
      <button type="submit" data-testid="campaign-cancel" disabled={busy}>
        Cancel the run
      </button>
    </form>
  );
}

/** One run, followed live. */
export function CampaignRunView({ campaignId }: { readonly campaignId: string }) {
  const api = useApi();
  const { user } = useAuth();
  const { view, error } = useCampaignRun(campaignId);
  const [details, setDetails] = useState<CampaignDetails | undefined>(undefined);
  const [detailsError, setDetailsError] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<string | undefined>(undefined);

  useEffect(() => {
    let current = true;
    api.get<CampaignDetails>(`/api/campaigns/${encodeURIComponent(campaignId)}`).then(
      (answer) => current && setDetails(answer),
      (failure: unknown) => current && setDetailsError(errorText(failure)),
    );
    return () => {
      current = false;
    };
  }, [api, campaignId]);

  const completed = view.artifacts.filter((artifact) => artifact.status === 'completed').length;
  const planned = view.artifacts.filter((artifact) => artifact.status !== 'cancelled').length;
  const mayCancel = user !== undefined && view.state !== undefined && !isFinal(view.state) && (details === undefined || details.createdBy === user.id || user.roles.includes('admin'));
  return (
    <Page title={details?.name ?? 'Campaign run'} testId="page-campaign-run" actions={<Link href="/">All campaigns</Link>}>
      <p className="muted">
        Campaign <code data-testid="campaign-id">{campaignId}</code>
        {details === undefined ? null : <> · created by {details.createdBy}</>}
      </p>
      {[detailsError, error, actionError].filter((text) => text !== undefined).map((text) => (
        <p key={text} className="notice notice-error" role="alert" data-testid="campaign-error">
          {text}
        </p>
      ))}
      {view.sync === undefined ? null : (
        <p className={`notice ${view.sync.mode === 'recovered' ? 'notice-ok' : 'notice-warning'}`} data-testid="campaign-sync" data-mode={view.sync.mode}>
          {syncText(view.sync)}
        </p>
      )}
      <dl className="campaign-summary">
        <div>
          <dt>State</dt>
          <dd>
            <span className={`campaign-state state-${view.state ?? 'unknown'}`} data-testid="campaign-state" data-state={view.state ?? ''}>
              {view.state ?? 'waiting…'}
            </span>
          </dd>
        </div>
        <div>
          <dt>Audit</dt>
          <dd data-testid="campaign-audit">{view.auditStatus}</dd>
        </div>
        <div>
          <dt>Artifacts done</dt>
          <dd>
            <progress max={Math.max(planned, 1)} value={completed} aria-label="Artifacts completed" /> {completed} of {planned}
          </dd>
        </div>
        <div>
          <dt>Last event</dt>
          <dd data-testid="campaign-last-sequence">#{view.lastSequence}</dd>
        </div>
      </dl>
      {mayCancel ? <CancelForm campaignId={campaignId} onError={setActionError} /> : null}
      {view.cancellation === undefined ? null : (
        <p className="notice notice-warning" data-testid="campaign-cancelled">
          Cancelled by {view.cancellation.requestedBy}
          {view.cancellation.reason === null ? '' : `: ${view.cancellation.reason}`} (event #{view.cancellation.cancellationSequence}).
        </p>
      )}
      <Artifacts view={view} />
      <h2>Events</h2>
      <ol className="campaign-log" data-testid="campaign-log" aria-live="polite">
        {view.log.map((entry, index) => (
          <li key={`${entry.kind}-${entry.sequence}-${index}`} className={`campaign-log-${entry.kind}`} data-testid="campaign-log-entry" data-kind={entry.kind} data-sequence={entry.sequence}>
            <span className="campaign-seq">#{entry.sequence}</span> {entry.text}
          </li>
        ))}
      </ol>
    </Page>
  );
}

/**
 * `/campaigns`: create a campaign run (`POST /api/campaigns`, then its page) and the list of your
 * campaigns (an admin's: all of them).
 * @module
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { useApi } from '../../api/use-api';
import { Page } from '../../components/Page';
import type { CampaignDetails } from '../../hubs/contracts';
import { saveCampaignView } from './campaign-store';
import { campaignReducer, emptyCampaignView } from './campaign-view';

const MAX_ARTIFACTS = 12;

/** The list and the create form. */
export function CampaignList() {
  const api = useApi();
  const [, navigate] = useLocation();
  const [campaigns, setCampaigns] = useState<readonly CampaignDetails[] | undefined>(undefined);
  const [name, setName] = useState('Spring sale');
  const [artifactCount, setArtifactCount] = useState(3);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(() => {
    api.get<{ campaigns: CampaignDetails[] }>('/api/campaigns').then(
      (answer) => setCampaigns(answer.campaigns),
      (failure: unknown) => setError(`The campaigns could not be listed: ${failure instanceof Error ? failure.message : String(failure)}`),
    );
  }, [api]);
  useEffect(refresh, [refresh]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const campaign = await api.post<CampaignDetails>('/api/campaigns', { name: name.trim(), artifactCount });
      // The answer is the run's first snapshot: its page starts from it, and recovers from there on a reload.
      const view = campaignReducer(emptyCampaignView(campaign.campaignId), { kind: 'snapshot', snapshot: campaign });
      saveCampaignView(view);
      navigate(`/${campaign.campaignId}`);
    } catch (failure) {
      setError(`Not created: ${failure instanceof Error ? failure.message : String(failure)}`);
      setBusy(false);
    }
  };

  return (
    <Page title="Campaigns" testId="page-campaigns">
      <p className="muted">
        A campaign run steps through planning, generating its artifacts, review and audit (a step every 1.5 s by default), each change a numbered event on <code>/hubs/campaigns</code>.
        Reload its page mid-run: it recovers from the last event it received.
      </p>
      <form className="campaign-create card" onSubmit={(event) => void create(event)} aria-labelledby="campaign-create-title">
        <h2 id="campaign-create-title">New run</h2>
        <div className="campaign-fields">
          <label htmlFor="campaign-name">Name</label>
          <input id="campaign-name" data-testid="campaign-name" value={name} maxLength={120} required onChange={(event) => setName(event.target.value)} />
          <label htmlFor="campaign-artifacts">Artifacts</label>
          <input id="campaign-artifacts" data-testid="campaign-artifacts" type="number" min={1} max={MAX_ARTIFACTS} value={artifactCount} onChange={(event) => setArtifactCount(Number(event.target.value))} />
        </div>
        <button type="submit" data-testid="campaign-create" disabled={busy || name.trim() === '' || !(artifactCount >= 1 && artifactCount <= MAX_ARTIFACTS)}>
          Create and follow
        </button>
      </form>
      {error === undefined ? null : (
        <p className="notice notice-error" role="alert" data-testid="campaign-error">
          {error}
        </p>
      )}
      <h2>Your campaigns</h2>
      {campaigns === undefined ? (
        <p className="muted">Loading…</p>
      ) : campaigns.length === 0 ? (
        <p className="muted" data-testid="campaign-list-empty">
          None yet.
        </p>
      ) : (
        <ul className="campaign-list" data-testid="campaign-list">
          {campaigns.map((campaign) => (
            <li key={campaign.campaignId}>
              <Link href={`/${campaign.campaignId}`}>{campaign.name}</Link> <span className={`campaign-state state-${campaign.currentState}`}>{campaign.currentState}</span>{' '}
              <span className="muted">
                by {campaign.createdBy}, {new Date(campaign.createdAt).toLocaleString()}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

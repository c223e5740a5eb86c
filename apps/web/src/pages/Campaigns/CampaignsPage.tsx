/**
 * Campaign runs (/hubs/campaigns and /api/campaigns): `/campaigns` creates a run and lists yours,
 * `/campaigns/<id>` follows one — states, artifacts, the numbered event log — and cancels it.
 * @module
 */
import { Route, Switch } from 'wouter';
import { CampaignList } from './CampaignList';
import { CampaignRunView } from './CampaignRunView';
import './campaigns.css';

/** The campaigns view: the list at `/campaigns`, one run at `/campaigns/<id>`. */
export function CampaignsPage() {
  return (
    <Switch>
      <Route path="/" component={CampaignList} />
      <Route path="/:id">{(params) => <CampaignRunView key={params.id} campaignId={params.id} />}</Route>
    </Switch>
  );
}

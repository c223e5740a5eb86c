/**
 * The campaigns REST API: create (starts a run), list, read, cancel.
 * @module
 */
import type { Principal } from 'hubwire';
import type { Logger } from 'pino';
import { NotFound, type RestRequest, type RestResult, type RestRoutes, type RouteOptions } from '../../app-context.js';
import { CampaignRefused, type CampaignOrchestrator } from './orchestrator.js';
import { CampaignStoreUnavailable } from './store.js';

export const MAX_NAME_LENGTH = 120;
export const MAX_REASON_LENGTH = 500;
export const MAX_ARTIFACTS = 12;
export const DEFAULT_ARTIFACTS = 5;

/** `CampaignDetails` (model.ts), its main fields. */
const CAMPAIGN = {
  type: 'object',
  required: ['campaignId', 'name', 'currentState', 'createdBy', 'createdAt'],
  properties: { campaignId: { type: 'string' }, name: { type: 'string' }, currentState: { type: 'string' }, createdBy: { type: 'string' }, createdAt: { type: 'string' }, endedAt: { type: ['string', 'null'] } },
} as const;
const ERRORS = { 404: {}, 503: {} } as const;

const CREATE: RouteOptions = {
  summary: 'Create a campaign: starts a simulated run, streamed on the campaigns hub.',
  tags: ['campaigns'],
  schema: {
    body: {
      type: 'object',
      required: ['name'],
      properties: {
        // Trimmed by the handler; blank is refused here.
        name: { type: 'string', pattern: '\\S', maxLength: MAX_NAME_LENGTH },
        artifactCount: { type: 'integer', minimum: 1, maximum: MAX_ARTIFACTS, default: DEFAULT_ARTIFACTS },
      },
    },
    response: { 201: CAMPAIGN, 429: {}, 503: {} },
  },
};

const CANCEL: RouteOptions = {
  summary: 'Cancel a running campaign (its creator or an admin).',
  tags: ['campaigns'],
  schema: {
    body: { type: 'object', properties: { reason: { type: ['string', 'null'], maxLength: MAX_REASON_LENGTH } } },
    bodyOptional: true,
    response: { 200: { type: 'object' }, 403: {}, 409: {}, ...ERRORS },
  },
};

/**
 * `POST /api/campaigns` (user), `GET /api/campaigns` (user: their own; admin: all),
 * `GET /api/campaigns/:id` (anyone who knows the id),
 * `POST /api/campaigns/:id/cancel` (the campaign's creator or an admin).
 */
export function registerCampaignRoutes(routes: RestRoutes, campaigns: CampaignOrchestrator, hubPath: string, logger: Logger): void {
  routes.add(
    'POST',
    '/api/campaigns',
    async ({ body, user }) => {
      // Checked by CREATE's schema (artifactCount defaulted).
      const { name, artifactCount: count } = body as { readonly name: string; readonly artifactCount: number };
      try {
        const campaign = await campaigns.create({ name: name.trim(), artifactCount: count, createdBy: userName(user) });
        logger.info({ campaignId: campaign.campaignId, createdBy: campaign.createdBy, artifactCount: count }, 'campaign created');
        return { status: 201, body: { ...campaign, hub: hubPath } };
      } catch (error) {
        if (error instanceof CampaignRefused) return { status: error.status, body: { error: error.message }, ...(error.status === 503 ? { headers: RETRY } : {}) };
        throw error;
      }
    },
    'user',
    CREATE,
  );

  // Ids are the capability to follow a campaign: the list shows a user its own (an admin, all).
  routes.add(
    'GET',
    '/api/campaigns',
    ({ user }) =>
      unavailableAs503(async () => {
        const all = (user?.roles ?? []).includes('admin');
        const name = userName(user);
        return { status: 200, body: { campaigns: (await campaigns.list()).filter((campaign) => all || campaign.createdBy === name) } };
      }),
    'user',
    { summary: "The caller's campaigns (an admin's: all).", tags: ['campaigns'], schema: { response: { 200: { type: 'object', required: ['campaigns'], properties: { campaigns: { type: 'array', items: CAMPAIGN } } }, 503: {} } } },
  );

  routes.add('GET', '/api/campaigns/:id', ({ params }) => unavailableAs503(async () => ({ status: 200, body: await found(campaigns, params['id']) })), 'anonymous', {
    summary: 'One campaign, for anyone who knows its id.',
    tags: ['campaigns'],
    schema: { response: { 200: CAMPAIGN, ...ERRORS } },
  });

  routes.add(
    'POST',
    '/api/campaigns/:id/cancel',
    ({ params, body, user }: RestRequest): Promise<RestResult> => unavailableAs503(() => cancel(campaigns, params, body, user, logger)),
    'user',
    CANCEL,
  );
}

/** `POST /api/campaigns/:id/cancel`, from any node. */
async function cancel(campaigns: CampaignOrchestrator, params: RestRequest['params'], body: unknown, user: Principal | undefined, logger: Logger): Promise<RestResult> {
  const campaign = await found(campaigns, params['id']);
  // Checked by CANCEL's schema: absent, or an object whose reason is a string, null or absent.
  const reason = (body as { readonly reason?: string | null } | undefined)?.reason ?? null;
  const requestedBy = userName(user);
  if (campaign.createdBy !== requestedBy && !(user?.roles ?? []).includes('admin')) {
    return { status: 403, body: { error: 'Only the user who created the campaign or an admin may cancel it.' } };
  }
  const outcome = await campaigns.cancel(campaign.campaignId, { requestedBy, reason: reason === null || reason.trim() === '' ? null : reason.trim() });
  switch (outcome.kind) {
    case 'cancelled':
      logger.info({ campaignId: campaign.campaignId, requestedBy, sequence: outcome.acknowledgement.cancellationSequence }, 'campaign cancelled');
      return { status: 200, body: outcome.acknowledgement };
    case 'ended':
      return { status: 409, body: { error: `Campaign '${campaign.campaignId}' has already ${outcome.state === 'completed' ? 'completed' : 'been cancelled'}.`, state: outcome.state } };
    case 'not-found':
      throw new NotFound(`Campaign '${campaign.campaignId}' does not exist.`);
  }
}

const RETRY = { 'Retry-After': '1' };

/** A store that cannot be reached (Redis down) is answered 503 with Retry-After, not 500. */
async function unavailableAs503(handle: () => Promise<RestResult>): Promise<RestResult> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof CampaignStoreUnavailable) return { status: 503, body: { error: 'Campaigns are unavailable right now (their store cannot be reached); try again shortly.' }, headers: RETRY };
    throw error;
  }
}

async function found(campaigns: CampaignOrchestrator, id: string | undefined) {
  const campaign = id === undefined ? undefined : await campaigns.get(id);
  if (campaign === undefined) throw new NotFound(`Campaign '${id ?? ''}' does not exist.`);
  return campaign;
}

function userName(user: Principal | undefined): string {
  return user?.userIdentifier ?? 'anonymous';
}

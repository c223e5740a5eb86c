/**
 * The campaigns REST API: create (starts a run), list, read, cancel.
 * @module
 */
import type { Principal } from 'hubwire';
import type { Logger } from 'pino';
import { BadRequest, NotFound, type RestRequest, type RestResult, type RestRoutes } from '../../app-context.js';
import { CampaignRefused, type CampaignOrchestrator } from './orchestrator.js';
import { CampaignStoreUnavailable } from './store.js';

export const MAX_NAME_LENGTH = 120;
export const MAX_REASON_LENGTH = 500;
export const MAX_ARTIFACTS = 12;
export const DEFAULT_ARTIFACTS = 5;

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
      const input = objectBody(body);
      const name = input['name'];
      if (typeof name !== 'string' || name.trim().length === 0) throw new BadRequest('name', 'name is required: a non-empty string.');
      if (name.trim().length > MAX_NAME_LENGTH) throw new BadRequest('name', `name may have at most ${MAX_NAME_LENGTH} characters.`);
      const count = input['artifactCount'] ?? DEFAULT_ARTIFACTS;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_ARTIFACTS) {
        throw new BadRequest('artifactCount', `artifactCount must be an integer from 1 to ${MAX_ARTIFACTS}.`);
      }
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
  );

  routes.add('GET', '/api/campaigns/:id', ({ params }) => unavailableAs503(async () => ({ status: 200, body: await found(campaigns, params['id']) })), 'anonymous');

  routes.add(
    'POST',
    '/api/campaigns/:id/cancel',
    ({ params, body, user }: RestRequest): Promise<RestResult> => unavailableAs503(() => cancel(campaigns, params, body, user, logger)),
    'user',
  );
}

/** `POST /api/campaigns/:id/cancel`, from any node. */
async function cancel(campaigns: CampaignOrchestrator, params: RestRequest['params'], body: unknown, user: Principal | undefined, logger: Logger): Promise<RestResult> {
  const campaign = await found(campaigns, params['id']);
  const input = body === undefined ? {} : objectBody(body);
  const reason = input['reason'] ?? null;
  if (reason !== null && typeof reason !== 'string') throw new BadRequest('reason', 'reason must be a string.');
  if (reason !== null && reason.length > MAX_REASON_LENGTH) throw new BadRequest('reason', `reason may have at most ${MAX_REASON_LENGTH} characters.`);
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

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body', 'The body must be a JSON object.');
  return body as Record<string, unknown>;
}

async function found(campaigns: CampaignOrchestrator, id: string | undefined) {
  const campaign = id === undefined ? undefined : await campaigns.get(id);
  if (campaign === undefined) throw new NotFound(`Campaign '${id ?? ''}' does not exist.`);
  return campaign;
}

function userName(user: Principal | undefined): string {
  return user?.userIdentifier ?? 'anonymous';
}

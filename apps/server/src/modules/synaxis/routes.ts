/**
 * The synaxis admin REST endpoint: send one organization notification by hand.
 * @module
 */
import type { Logger } from 'pino';
import { BadRequest, type RestRoutes } from '../../app-context.js';
import { ORGANIZATION_ID, parseNotificationRequest } from './model.js';
import type { OrganizationMembers } from './memberships.js';
import type { SynaxisNotifier } from './notifier.js';

/**
 * `POST /api/synaxis/organizations/:id/notifications` with `{type, payload}` (admin role):
 * answers 202 `{notification, members}` (members: connections, on every node, that had joined the organization).
 */
export function registerSynaxisRoutes(routes: RestRoutes, notifier: SynaxisNotifier, members: OrganizationMembers, logger: Logger): void {
  routes.add(
    'POST',
    '/api/synaxis/organizations/:id/notifications',
    async ({ params, body, user }) => {
      const organizationId = params['id'] ?? '';
      if (!ORGANIZATION_ID.test(organizationId)) throw new BadRequest('id', 'The organization id is 1 to 64 lowercase letters, digits, ., - or _.');
      const { type, payload } = parseNotificationRequest(body);
      const count = await members.memberCount(organizationId);
      const notification = await notifier.notify(organizationId, type, payload);
      logger.info({ organizationId, type, members: count, by: user?.userIdentifier }, 'synaxis notification sent by hand');
      return { status: 202, body: { notification, members: count } };
    },
    { roles: ['admin'] },
  );
}

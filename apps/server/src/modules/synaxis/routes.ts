/**
 * The synaxis admin REST endpoint: send one organization notification by hand.
 * @module
 */
import type { Logger } from 'pino';
import type { RestRoutes, RouteOptions } from '../../app-context.js';
import { isBackplaneError } from '../client-positions.js';
import { NOTIFICATION_TYPES, ORGANIZATION_ID, parseNotificationRequest } from './model.js';
import type { OrganizationMembers } from './memberships.js';
import type { SynaxisNotifier } from './notifier.js';

/**
 * `POST /api/synaxis/organizations/:id/notifications` with `{type, payload}` (admin role):
 * answers 202 `{notification, members}` (members: connections, on every node, that had joined the
 * organization), or 503 while the organization's history (Redis) cannot be reached: a
 * notification is delivered only with its place in the history.
 */
const NOTIFY: RouteOptions = {
  summary: 'Send one organization notification by hand.',
  tags: ['synaxis'],
  schema: {
    params: { type: 'object', properties: { id: { type: 'string', pattern: ORGANIZATION_ID.source, description: '1 to 64 lowercase letters, digits, ., - or _.' } } },
    // The payload's fields are checked per type by parseNotificationRequest, shared with the hub.
    body: { type: 'object', required: ['type', 'payload'], properties: { type: { type: 'string', enum: [...NOTIFICATION_TYPES] }, payload: { type: 'object' } } },
    response: { 202: { type: 'object', required: ['notification', 'members'], properties: { notification: { type: 'object' }, members: { type: 'integer' } } }, 503: {} },
  },
};

export function registerSynaxisRoutes(routes: RestRoutes, notifier: SynaxisNotifier, members: OrganizationMembers, logger: Logger): void {
  routes.add(
    'POST',
    '/api/synaxis/organizations/:id/notifications',
    async ({ params, body, user }) => {
      const organizationId = params['id']!;
      const { type, payload } = parseNotificationRequest(body);
      const count = await members.memberCount(organizationId);
      let notification;
      try {
        notification = await notifier.notify(organizationId, type, payload);
      } catch (error) {
        if (!isBackplaneError(error)) throw error;
        return { status: 503, body: { error: 'Notifications cannot be sent right now (the organization\'s history cannot be reached); try again shortly.' }, headers: { 'Retry-After': '1' } };
      }
      logger.info({ organizationId, type, members: count, by: user?.userIdentifier }, 'synaxis notification sent by hand');
      return { status: 202, body: { notification, members: count } };
    },
    { roles: ['admin'] },
    NOTIFY,
  );
}

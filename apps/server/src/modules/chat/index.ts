/**
 * The chat feature: `/hubs/chat` for authenticated users.
 * @module
 */
import type { AppContext, AppModule } from '../../app-context.js';
import { CHAT_RECOVERY, ChatHub } from './chat-hub.js';

export const CHAT_HUB_PATH = '/hubs/chat';

/** The module the server registers. */
export const chatModule: AppModule = {
  name: 'chat',
  register(app: AppContext) {
    const logger = app.logger.child({ module: 'chat' });
    const services = { clock: app.clock, maxMessageLength: app.config.limits.chatMaxMessageLength, logger };
    app.hubwire.mapHub(CHAT_HUB_PATH, ChatHub, {
      authorize: true,
      create: () => new ChatHub(services),
      recovery: CHAT_RECOVERY,
      // JoinWorkflow(id) as before, and JoinWorkflow(id, fromPosition) after a reconnect.
      optionalParameters: { joinWorkflow: 1 },
    });
  },
};

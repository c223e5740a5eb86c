/**
 * The logger Hubwire gets: the server's pino logger, plus the transport on 'client disconnected'
 * lines (Hubwire logs the transport on connect only), so every connect and disconnect line has
 * the connection id, user, hub and transport.
 * @module
 */
import type { HubFilter, Logger as HubwireLogger } from 'hubwire';
import type { Logger } from 'pino';

/** A Hubwire logger over `base`, and the filter that records each connection's transport. */
export function connectionLogging(base: Logger): { readonly logger: HubwireLogger; readonly filter: HubFilter } {
  const transports = new Map<string, string>();
  const filter: HubFilter = {
    onConnected: async (context, next) => {
      transports.set(context.context.connectionId, context.context.transport);
      await next(context);
    },
  };
  const logger: HubwireLogger = {
    debug: (fields, message) => base.debug(fields, message),
    info: (fields, message) => {
      const id = fields['connectionId'];
      if (message === 'client disconnected' && typeof id === 'string') {
        const transport = transports.get(id);
        transports.delete(id);
        base.info(fields['transport'] === undefined && transport !== undefined ? { ...fields, transport } : fields, message);
        return;
      }
      base.info(fields, message);
    },
    warn: (fields, message) => base.warn(fields, message),
    error: (fields, message) => base.error(fields, message),
  };
  return { logger, filter };
}

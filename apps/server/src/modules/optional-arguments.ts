/**
 * Optional trailing arguments of hub methods. Hubwire, like ASP.NET Core SignalR, dispatches an
 * invocation only when it carries exactly as many arguments as the method declares. The
 * recovering joins of the seed hubs add a last parameter that existing clients do not send —
 * `SubscribeToCampaign(id)` must go on working beside `SubscribeToCampaign(id, fromSequence)` —
 * so the hubs speak their protocols through {@link withOptionalArguments}: an invocation of a
 * listed method that leaves trailing arguments out gets them as `null` before it is dispatched.
 * Everything else (other methods, other message types, what the server writes) passes through
 * untouched. A stopgap until the library itself accepts optional trailing parameters.
 * @module
 */
import { jsonHubProtocol, messagePackHubProtocol, MessageType, type HubClass, type HubMessage, type HubProtocol, type ParseResult } from 'hubwire';

/** The protocols of every hub of the server (app.ts gives the same two to the server). */
const SERVER_PROTOCOLS: readonly HubProtocol[] = [jsonHubProtocol, messagePackHubProtocol];

/**
 * The server's protocols, wrapped so that each method named in `optional` may be invoked without
 * its last `optional[name]` parameters (they arrive as `null`). The counts come from the hub
 * class's methods, so a method that gains a parameter stays right.
 *
 * @example
 * ```ts
 * app.hubwire.mapHub('/hubs/campaigns', CampaignsHub, {
 *   protocols: withOptionalArguments(CampaignsHub, { subscribeToCampaign: 1 }),
 * });
 * // invoke('SubscribeToCampaign', id) now reaches subscribeToCampaign(id, null)
 * ```
 * @throws RangeError for a name that is not a method of the hub, or more optional parameters than it has.
 */
export function withOptionalArguments(hubClass: HubClass, optional: Readonly<Record<string, number>>, protocols: readonly HubProtocol[] = SERVER_PROTOCOLS): HubProtocol[] {
  const counts = new Map<string, { readonly declared: number; readonly required: number }>();
  for (const [name, count] of Object.entries(optional)) {
    const method = (hubClass.prototype as Record<string, unknown>)[name];
    if (typeof method !== 'function') throw new RangeError(`'${name}' is not a method of hub '${hubClass.name}'.`);
    if (!Number.isInteger(count) || count < 1 || count > method.length) throw new RangeError(`'${name}' of hub '${hubClass.name}' has ${method.length} parameters; ${count} cannot be optional.`);
    counts.set(name.toLowerCase(), { declared: method.length, required: method.length - count });
  }
  const padded = (message: HubMessage): HubMessage => {
    if (message.type !== MessageType.Invocation) return message;
    const count = counts.get(message.target.toLowerCase());
    const given = message.arguments.length;
    if (count === undefined || given < count.required || given >= count.declared || (message.streamIds?.length ?? 0) > 0) return message;
    return { ...message, arguments: [...message.arguments, ...Array.from({ length: count.declared - given }, () => null)] };
  };
  return protocols.map((protocol) => ({
    name: protocol.name,
    version: protocol.version,
    transferFormat: protocol.transferFormat,
    parse(input: Buffer, maxMessageSize: number | null, maxMessages?: number): ParseResult {
      const result = protocol.parse(input, maxMessageSize, maxMessages);
      return { ...result, messages: result.messages.map(padded) };
    },
    write: (message: HubMessage) => protocol.write(message),
  }));
}

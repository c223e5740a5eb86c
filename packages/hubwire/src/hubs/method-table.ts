/**
 * Finds a hub class's methods once, at mapHub time.
 * @module
 */
import { HubwireError } from '../core/errors.js';
import { Hub, RESERVED_HUB_MEMBERS, type HubClass } from './hub.js';

/** One invocable hub method. */
export interface HubMethod {
  /** The name as declared on the class. */
  readonly name: string;
  readonly fn: (...args: unknown[]) => unknown;
  /** How many arguments the method takes: the function's declared parameter count. */
  readonly parameterCount: number;
  /**
   * How many a client must send at least: `parameterCount` less the trailing parameters named
   * optional (`optionalParameters` of mapHub). Left-out ones arrive as `undefined`.
   */
  readonly requiredCount: number;
  /**
   * A streaming method: an `async *method()`, or one named in `streamingMethods`. Known before
   * the method is called, so a call of the wrong kind is refused without running it.
   */
  readonly isStreaming: boolean;
}

/**
 * Every public method of the hub class and its ancestors up to {@link Hub}, keyed by lower-cased
 * name (clients' method names are matched case-insensitively). Methods whose names start with `_`
 * and ES private `#methods` are not invocable. Two methods differing only in case are refused,
 * as ASP.NET refuses overloads.
 *
 * `streamingMethods` names the plain methods that return a stream (an `AsyncIterable` or a
 * `ReadableStream`): JavaScript erases return types, so only `async *` methods are recognised
 * by themselves. A name that is not a method of the hub is refused.
 */
export function buildMethodTable(
  hubClass: HubClass,
  streamingMethods: readonly string[] = [],
  optionalParameters: Readonly<Record<string, number | undefined>> = {},
): ReadonlyMap<string, HubMethod> {
  const declared = new Set(streamingMethods.map((name) => name.toLowerCase()));
  const optional = new Map(Object.entries(optionalParameters).map(([name, count]) => [name.toLowerCase(), count ?? 0]));
  const table = new Map<string, HubMethod>();
  for (let proto = hubClass.prototype as object | null; proto !== null && proto !== Hub.prototype && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (RESERVED_HUB_MEMBERS.has(name) || name.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor === undefined || typeof descriptor.value !== 'function') continue;
      const key = name.toLowerCase();
      const existing = table.get(key);
      if (existing !== undefined) {
        // A subclass override of the same name shadows the ancestor's method.
        if (existing.name === name) continue;
        throw new HubwireError('HUB_ERR_INVALID_OPTION', `Hub '${hubClass.name}' has two methods named '${existing.name}' and '${name}'; hub method names are case-insensitive.`);
      }
      const fn = descriptor.value as (...args: unknown[]) => unknown;
      table.set(key, { name, fn, parameterCount: fn.length, requiredCount: fn.length, isStreaming: declared.has(key) || fn.constructor.name === 'AsyncGeneratorFunction' });
    }
  }
  for (const name of streamingMethods) {
    if (!table.has(name.toLowerCase())) throw new HubwireError('HUB_ERR_INVALID_OPTION', `streamingMethods names '${name}', which is not a method of hub '${hubClass.name}'.`);
  }
  for (const [name, count] of optional) {
    const method = table.get(name);
    if (method === undefined) throw new HubwireError('HUB_ERR_INVALID_OPTION', `optionalParameters names '${name}', which is not a method of hub '${hubClass.name}'.`);
    if (!Number.isInteger(count) || count < 0 || count > method.parameterCount) {
      // A parameter with a default value is not counted by Function.length: declare it without one.
      throw new HubwireError('HUB_ERR_INVALID_OPTION', `optionalParameters: '${method.name}' of hub '${hubClass.name}' declares ${method.parameterCount} parameter(s) (those before the first default value); ${String(count)} cannot be optional.`);
    }
    table.set(name, { ...method, requiredCount: method.parameterCount - count });
  }
  return table;
}

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
  /** How many arguments a client must send: the function's declared parameter count. */
  readonly parameterCount: number;
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
export function buildMethodTable(hubClass: HubClass, streamingMethods: readonly string[] = []): ReadonlyMap<string, HubMethod> {
  const declared = new Set(streamingMethods.map((name) => name.toLowerCase()));
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
      table.set(key, { name, fn, parameterCount: fn.length, isStreaming: declared.has(key) || fn.constructor.name === 'AsyncGeneratorFunction' });
    }
  }
  for (const name of streamingMethods) {
    if (!table.has(name.toLowerCase())) throw new HubwireError('HUB_ERR_INVALID_OPTION', `streamingMethods names '${name}', which is not a method of hub '${hubClass.name}'.`);
  }
  return table;
}

/**
 * A hub's fallback method (`mapHub(…, { fallbackMethod })`): what runs an invocation whose
 * target the hub class does not declare, so a hub can serve methods it has no code for (a
 * serverless hub forwarding every call upstream). The dispatcher treats such a call as one of a
 * method taking exactly the arguments sent, so it goes through the same filters, checks,
 * completion and error texts as a declared method.
 * @module
 */
import type { Hub } from './hub.js';
import type { HubMethod } from './method-table.js';

/** Receives the target as the client sent it and all its arguments, with `this` bound like a hub method's. */
export type FallbackMethod = (this: Hub<unknown>, method: string, args: unknown[]) => unknown;

/** Marks the methods {@link fallbackHubMethod} makes, which are not in the method table. */
const FALLBACKS = new WeakSet<HubMethod>();

/**
 * The method a fallback call runs as: named as the client sent it, taking as many arguments as it
 * sent (so the count check always passes), never streaming. `fn` is not used for the call itself:
 * the innermost filter step calls the fallback with the context's method name and arguments.
 */
export function fallbackHubMethod(fallback: FallbackMethod, target: string, argumentCount: number): HubMethod {
  const method: HubMethod = {
    name: target,
    fn(this: Hub<unknown>, ...args: unknown[]) {
      return fallback.call(this, target, args);
    },
    parameterCount: argumentCount,
    requiredCount: argumentCount,
    isStreaming: false,
  };
  FALLBACKS.add(method);
  return method;
}

/** Whether `method` is a fallback call's (not a declared method of the hub). */
export function isFallback(method: HubMethod): boolean {
  return FALLBACKS.has(method);
}

/**
 * Traces, through `@opentelemetry/api` only: a span per hub invocation and around a hub's
 * `onConnected` / `onDisconnected`, named and tagged as ASP.NET Core 9's SignalR server does
 * (ActivitySource `Microsoft.AspNetCore.SignalR.Server`), so existing dashboards and queries carry
 * over. The library registers nothing: spans exist once the application registers an SDK (a
 * tracer provider), and an invocation's parent is whatever the application's propagator extracts
 * from the invocation's headers (`traceparent` / `tracestate` with the W3C one).
 *
 * Without an SDK this costs one check per call and nothing else — no attributes built, no context
 * switched, no span object — because every invocation passes here, most of them on a synchronous
 * path that allocates no promise.
 * @module
 */
import { context, propagation, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanOptions, Tracer, TracerProvider } from '@opentelemetry/api';
import { HubwireError } from './errors.js';

/** The tracer (instrumentation scope) name: ASP.NET's server ActivitySource, so samplers and views written for it apply. */
export const TRACER_NAME = 'Microsoft.AspNetCore.SignalR.Server';

/** The `error.type` of a thrown value that is not an Error (OpenTelemetry's fallback value). */
const OTHER_ERROR = '_OTHER';

// What the API's global provider hands out while no SDK is registered: a proxy whose delegate is
// this shared no-op (a fresh proxy has no delegate, so it shows which object that is).
const NOOP_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * The tracer to use now, or undefined while no SDK is registered. Checked per call (a global
 * read and a comparison) rather than once, so a provider registered after the server started —
 * or replaced, as tests do — is picked up; the tracer is fetched again only when the provider
 * changed, since a proxy tracer stays bound to the first provider it delegated to.
 */
export function liveTracer(): Tracer | undefined {
  const global = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const provider = global.getDelegate?.() ?? global;
  if (provider === NOOP_PROVIDER) return undefined;
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(TRACER_NAME);
  }
  return cachedTracer;
}

/**
 * `error.type` of a failure: a Hubwire error's code (stable, documented), otherwise the error's
 * name (`TypeError`, `HubError`, a custom error's own name) — ASP.NET puts the exception's type
 * name there. Never the message: hub errors may carry user data, and this is a low-cardinality
 * attribute meant for grouping.
 */
export function errorType(error: unknown): string {
  if (error instanceof HubwireError) return error.code;
  if (error instanceof Error) return error.name;
  return OTHER_ERROR;
}

/** A started span with the context hub code runs in. */
export class TracedCall {
  readonly span: Span;
  /** The parent's context with this span set: what `run` makes active. */
  readonly context: Context;

  constructor(span: Span, parent: Context) {
    this.span = span;
    this.context = trace.setSpan(parent, span);
  }

  /**
   * Runs `fn` with this span active, so spans the application starts nest under it and log lines
   * written meanwhile (the library's own warnings included) can carry its trace and span ids.
   * Ends the span when `fn` has finished: at once when it returns undefined (a synchronous call),
   * otherwise when its promise settles; a throw or rejection marks the span failed and goes on.
   */
  run(fn: () => Promise<void> | undefined): Promise<void> | undefined {
    let running: Promise<void> | undefined;
    try {
      running = context.with(this.context, fn);
    } catch (error) {
      this.failed(error);
      this.span.end();
      throw error;
    }
    if (running === undefined) {
      this.span.end();
      return undefined;
    }
    return running.then(
      () => this.span.end(),
      (error: unknown) => {
        this.failed(error);
        this.span.end();
        throw error;
      },
    );
  }

  /** The call failed with `error` (see {@link errorType}). */
  failed(error: unknown): void {
    this.failedAs(errorType(error));
  }

  /** The call failed without an exception of its own (e.g. a streaming method returned no stream). */
  failedAs(type: string): void {
    this.span.setAttribute('error.type', type);
    this.span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/** A span's name and options, built once and shared by every call (SDKs copy the attributes). */
interface SpanShape {
  readonly name: string;
  readonly options: SpanOptions;
}

function shape(hubName: string, method: string, kind: SpanKind): SpanShape {
  const attributes: Attributes = Object.freeze({ 'rpc.system': 'signalr', 'rpc.service': hubName, 'rpc.method': method });
  return Object.freeze({ name: `${hubName}/${method}`, options: Object.freeze({ kind, attributes }) });
}

/**
 * One mapped hub's spans, their names and attributes built once from the hub's name and its
 * declared methods:
 * - `{Hub}/{method}`, kind SERVER, per invocation; parent only from the invocation's headers
 *   (ASP.NET: "hub method activities don't have a parent" — not the connection, not whatever
 *   happened to be active when the message was read);
 * - `{Hub}/OnConnectedAsync` and `{Hub}/OnDisconnectedAsync`, kind INTERNAL, under the active context.
 * Each carries `rpc.system=signalr`, `rpc.service` (the hub) and `rpc.method`, and on failure
 * `error.type` with status ERROR.
 *
 * @example
 * ```ts
 * const tracer = new HubTracer('ChatHub', ['send']);
 * const call = tracer.invocation('send', message.headers); // undefined without an SDK
 * return call === undefined ? runIt() : call.run(() => runIt(call));
 * ```
 */
export class HubTracer {
  /** By lower-cased method name, as the dispatcher looks methods up. */
  readonly #invocations = new Map<string, SpanShape>();
  readonly #connected: SpanShape;
  readonly #disconnected: SpanShape;

  /** `hubName`: the hub class's name (ASP.NET uses the full type name); `methods`: declared method names. */
  constructor(hubName: string, methods: Iterable<string>) {
    for (const method of methods) this.#invocations.set(method.toLowerCase(), shape(hubName, method, SpanKind.SERVER));
    this.#connected = shape(hubName, 'OnConnectedAsync', SpanKind.INTERNAL);
    this.#disconnected = shape(hubName, 'OnDisconnectedAsync', SpanKind.INTERNAL);
  }

  /** The span of one invocation of the method `key` (lower-cased name); undefined without an SDK. */
  invocation(key: string, headers: Readonly<Record<string, string>> | undefined): TracedCall | undefined {
    const tracer = liveTracer();
    if (tracer === undefined) return undefined;
    const span = this.#invocations.get(key);
    if (span === undefined) return undefined;
    const parent = headers === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
    return new TracedCall(tracer.startSpan(span.name, span.options, parent), parent);
  }

  /** The span around `onConnected`; undefined without an SDK. */
  connected(): TracedCall | undefined {
    return lifecycle(this.#connected);
  }

  /** The span around `onDisconnected`; undefined without an SDK. */
  disconnected(): TracedCall | undefined {
    return lifecycle(this.#disconnected);
  }
}

function lifecycle(span: SpanShape): TracedCall | undefined {
  const tracer = liveTracer();
  if (tracer === undefined) return undefined;
  const parent = context.active();
  return new TracedCall(tracer.startSpan(span.name, span.options, parent), parent);
}

/**
 * The app's REST and page requests, measured: a count by method, route pattern and status, a
 * duration histogram by method and route, and — while the OpenTelemetry SDK runs — a server
 * span per request named `{method} {route}` with the HTTP semantic-convention attributes, its
 * parent taken from the request's `traceparent`. The route is the pattern the router matched
 * (`/api/campaigns/:id`), so ids never become label values; requests no route matched are
 * `unmatched`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { MetricLabels } from 'hubwire';
import type { MetricCells } from './cells.js';

/** The route label of a request no route matched (404s of unknown paths). */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

interface Pending {
  readonly started: number;
  readonly method: string;
  route: string;
  readonly span: Span | undefined;
}

/**
 * Measures requests from their arrival to the end of their answer.
 * @example
 * ```ts
 * const requests = new RequestMetrics(cells, telemetry.tracing);
 * http.on('request', (req, res) => requests.run(req, res, () => router.handle(req, res)));
 * // and in the router, once a route matched:
 * requests.route(req, '/api/campaigns/:id');
 * ```
 */
export class RequestMetrics {
  readonly #cells: MetricCells;
  readonly #tracing: boolean;
  readonly #pending = new WeakMap<IncomingMessage, Pending>();
  // One label object per combination, so the cells find their series by identity.
  readonly #labels = new Map<string, MetricLabels>();

  constructor(cells: MetricCells, tracing: boolean) {
    this.#cells = cells;
    this.#tracing = tracing;
  }

  /** Starts measuring `req` and runs `handle` (inside the request's span, when tracing). */
  run<T>(req: IncomingMessage, res: ServerResponse, handle: () => T): T {
    const method = METHODS.has(req.method ?? '') ? req.method! : 'other';
    let span: Span | undefined;
    let active = context.active();
    if (this.#tracing) {
      const parent = propagation.extract(active, req.headers);
      span = trace.getTracer('hubwire.server').startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': pathOf(req.url), 'url.scheme': 'http' } }, parent);
      active = trace.setSpan(parent, span);
    }
    const pending: Pending = { started: performance.now(), method, route: UNMATCHED_ROUTE, span };
    this.#pending.set(req, pending);
    res.once('close', () => this.#finish(pending, res));
    return span === undefined ? handle() : context.with(active, handle);
  }

  /** Names the route pattern that serves `req` (the router calls it once it matched). */
  route(req: IncomingMessage, route: string): void {
    const pending = this.#pending.get(req);
    if (pending !== undefined) pending.route = route;
  }

  #finish(pending: Pending, res: ServerResponse): void {
    const seconds = (performance.now() - pending.started) / 1000;
    const status = res.writableFinished ? String(res.statusCode) : 'aborted';
    this.#cells.increment('restRequests', this.#labelsOf(pending.method, pending.route, status));
    this.#cells.record('restRequestDuration', seconds, this.#labelsOf(pending.method, pending.route, undefined));
    const span = pending.span;
    if (span !== undefined) {
      span.updateName(`${pending.method} ${pending.route}`);
      span.setAttribute('http.route', pending.route);
      if (res.writableFinished) span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.writableFinished || res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (res.statusCode >= 500) span.setAttribute('error.type', String(res.statusCode));
      span.end();
    }
  }

  #labelsOf(method: string, route: string, status: string | undefined): MetricLabels {
    const key = `${method} ${route} ${status ?? ''}`;
    let labels = this.#labels.get(key);
    if (labels === undefined) {
      const fresh: Record<string, string> = status === undefined ? { method, route } : { method, route, status };
      labels = Object.freeze(fresh);
      this.#labels.set(key, labels);
    }
    return labels;
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const question = raw.indexOf('?');
  return question === -1 ? raw : raw.slice(0, question);
}

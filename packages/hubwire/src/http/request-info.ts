/**
 * Reading what Hubwire needs from an incoming request.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { ConnectionRequestInfo } from '../connections/http-connection.js';

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const question = raw.indexOf('?');
  return question === -1 ? raw : raw.slice(0, question);
}

/** The query of a request URL. */
export function queryOf(url: string | undefined): URLSearchParams {
  const raw = url ?? '';
  const question = raw.indexOf('?');
  return new URLSearchParams(question === -1 ? '' : raw.slice(question + 1));
}

/** A query value by key, matched case-insensitively as ASP.NET does. */
export function queryValue(query: URLSearchParams, key: string): string | undefined {
  const direct = query.get(key);
  if (direct !== null) return direct;
  const lower = key.toLowerCase();
  for (const [name, value] of query) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/** The parts of a request a connection keeps. */
export function requestInfo(req: IncomingMessage): ConnectionRequestInfo {
  return { headers: req.headers, query: queryOf(req.url), remoteAddress: req.socket.remoteAddress };
}

/** Whether the request asks for an event stream (`Accept: text/event-stream`, maybe among others). */
export function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined) return false;
  return accept.split(',').some((range) => range.split(';')[0]!.trim().toLowerCase() === 'text/event-stream');
}

/**
 * CORS for the REST routes with `@fastify/cors`, with the same allowed origins as the hubs
 * (CORS_ORIGINS). Same-origin requests (Origin matching Host) and requests without Origin pass
 * untouched and their preflights are answered 204; an allowed origin gets its CORS headers (with
 * credentials) and its preflight the methods of the path; a cross-origin request from an origin
 * not allowed gets no CORS headers (the browser refuses it), and its preflight is answered 403.
 * @module
 */
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Requested-With';

/** Whether a request is a CORS preflight. */
export function isPreflight(request: FastifyRequest): boolean {
  return request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
}

/**
 * Registers CORS on `fastify`. `methodsOf(url)` lists the methods a path answers (empty for a
 * path no route has: its preflight is not found).
 */
export function registerCors(fastify: FastifyInstance, origins: readonly string[], methodsOf: (url: string) => readonly string[], notFound: (request: FastifyRequest, reply: FastifyReply) => void): void {
  const allowed = (origin: string) => origins.includes('*') || origins.includes(origin);
  // Before @fastify/cors' own hook: the preflights it would not answer as the app does.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isPreflight(request)) return done();
    if (methodsOf(request.url).length === 0) return notFound(request, reply);
    const origin = request.headers.origin;
    if (origin === undefined || isSameOrigin(origin, request)) {
      void reply.code(204).header('Content-Length', '0').send();
      return;
    }
    if (!allowed(origin)) {
      void reply.code(403).header('Vary', 'Origin').type('text/plain; charset=utf-8').send(`Origin '${origin}' is not allowed.`);
      return;
    }
    done();
  });
  void fastify.register(cors, {
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      if (origin === undefined || isSameOrigin(origin, request) || !allowed(origin)) {
        callback(null, { origin: false });
        return;
      }
      callback(null, {
        origin,
        credentials: true,
        methods: [...methodsOf(request.url), 'OPTIONS'].join(', '),
        allowedHeaders: ALLOWED_HEADERS,
        maxAge: 600,
      });
    },
  });
}

function isSameOrigin(origin: string, request: FastifyRequest): boolean {
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * The one body parser of the app's Fastify instance, for every content type: an empty body is
 * undefined; a non-empty body must be declared JSON (415) and parse (400 naming `body`). The size
 * limit is Fastify's `bodyLimit` (413, announced by Content-Length or counted).
 * @module
 */
import type { FastifyInstance } from 'fastify';

/** Why a body was refused, with the HTTP status to answer. */
export class BodyError extends Error {
  override readonly name = 'BodyError';
  readonly status: 400 | 413 | 415;
  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.status = status;
  }
}

/** The 413 text for a limit of `limit` bytes. */
export const tooLarge = (limit: number) => `The request body exceeds ${limit} bytes.`;

/** `application/json` and `application/<anything>+json`, parameters ignored. */
export function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Parses `bytes` as the body of a request declared `contentType`.
 * @example
 * ```ts
 * parseJsonBody(Buffer.from('{"a":1}'), 'application/json'); // → { a: 1 }
 * parseJsonBody(Buffer.alloc(0), undefined);                // → undefined
 * ```
 */
export function parseJsonBody(bytes: Buffer, contentType: string | undefined): unknown {
  if (bytes.length === 0) return undefined;
  if (!isJsonType(contentType)) throw new BodyError(415, 'The request body must be JSON (Content-Type: application/json).');
  const text = bytes.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Replaces Fastify's parsers with {@link parseJsonBody} for every content type. */
export function useJsonBodies(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, request.headers['content-type']));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

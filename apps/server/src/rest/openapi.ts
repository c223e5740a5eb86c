/**
 * `GET /api/openapi.json`: an OpenAPI 3.1 document of every registered route, generated from
 * the routes' schemas, auth and summaries (built once, on the first request, when every module
 * has registered).
 * @module
 */
import type { JsonSchema, RouteAuth } from '../app-context.js';
import { parsePattern } from './route-table.js';
import type { RestRouter, RouteDefinition } from './router.js';

/** The document's `info`. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

type Json = Record<string, unknown>;

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, field: { type: 'string', description: 'The invalid field (400).' } },
};

/**
 * The OpenAPI path of a route pattern: `/api/campaigns/:id` → `/api/campaigns/{id}`,
 * `/api/hubs/:hub/::send` → `/api/hubs/{hub}/:send`, a trailing `*` → `{path}`.
 */
export function openApiPath(path: string): string {
  const { segments, wildcard } = parsePattern('GET', path);
  const original = path.split('/').filter((part) => part.length > 0);
  const parts = segments.map((segment, index) => (segment.param !== undefined ? `{${segment.param}}` : original[index]!.replaceAll('::', ':')));
  if (wildcard) parts.push('{path}');
  return `/${parts.join('/')}`;
}

/**
 * The OpenAPI 3.1 document of `routes`.
 * @example
 * ```ts
 * const document = openApiDocument(router.definitions, { title: 'Hubwire server', version: '0.1.0' });
 * document.paths['/api/campaigns/{id}'].get; // → { operationId: 'get_api_campaigns_id', … }
 * ```
 */
export function openApiDocument(routes: readonly RouteDefinition[], info: OpenApiInfo): Json & { paths: Record<string, Record<string, Json>> } {
  const paths: Record<string, Record<string, Json>> = {};
  const schemes: Record<string, Json> = { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT from POST /api/auth/token (demo mode) or your identity provider.' } };
  for (const route of routes) {
    const path = openApiPath(route.path);
    const operation = operationOf(route, schemes);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return { openapi: '3.1.0', info, paths, components: { securitySchemes: schemes, schemas: { Error: ERROR_SCHEMA } } };
}

function operationOf(route: RouteDefinition, schemes: Record<string, Json>): Json {
  const { schema, summary, tags } = route.options as RouteDefinition['options'] & { schema?: NonNullable<RouteDefinition['options']['schema']> };
  const { segments, wildcard } = parsePattern(route.method, route.path);
  const paramSchemas = (schema?.params?.['properties'] ?? {}) as Record<string, JsonSchema>;
  const parameters: Json[] = segments.filter((segment) => segment.param !== undefined).map((segment) => ({ name: segment.param!, in: 'path', required: true, schema: paramSchemas[segment.param!] ?? { type: 'string' } }));
  if (wildcard) parameters.push({ name: 'path', in: 'path', required: true, schema: { type: 'string' } });
  const query = schema?.querystring;
  const required = new Set((query?.['required'] ?? []) as string[]);
  for (const [name, property] of Object.entries((query?.['properties'] ?? {}) as Record<string, JsonSchema>)) parameters.push({ name, in: 'query', required: required.has(name), schema: property });
  const operation: Json = { operationId: operationId(route), responses: responsesOf(route) };
  if (summary !== undefined) operation['summary'] = summary;
  if (tags !== undefined) operation['tags'] = [...tags];
  if (parameters.length > 0) operation['parameters'] = parameters;
  if (schema?.body !== undefined) operation['requestBody'] = { required: schema.bodyOptional !== true, content: { 'application/json': { schema: schema.body } } };
  const security = securityOf(route.auth, schemes);
  if (security !== undefined) operation['security'] = security;
  return operation;
}

function responsesOf(route: RouteDefinition): Json {
  if (route.kind === 'raw') return { '200': { description: 'The page, asset or text the route serves.' } };
  const documented = route.options.schema?.response ?? {};
  const responses: Json = {};
  for (const [status, schema] of Object.entries(documented)) {
    responses[status] = Object.keys(schema).length === 0 ? { description: `${status}` } : { description: `${status}`, content: { 'application/json': { schema } } };
  }
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
  responses['default'] = { description: 'An error: `{error}` (400 also names the `field`).', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return responses;
}

function securityOf(auth: RouteAuth, schemes: Record<string, Json>): Json[] | undefined {
  if (auth === 'anonymous') return undefined;
  if (typeof auth === 'object' && 'custom' in auth) {
    const name = auth.scheme ?? 'custom';
    schemes[name] ??= { type: 'http', scheme: 'bearer', description: 'The route checks its own credentials.' };
    return [{ [name]: [] }];
  }
  return [{ bearer: [] }];
}

function operationId(route: RouteDefinition): string {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
  // A trailing `*` is the `{path}` of openApiPath: `/events/*` is not the operation of `/events`.
  if (route.path.endsWith('/*')) words.push('path');
  return [route.method.toLowerCase(), ...words].join('_');
}

/** Adds `GET /api/openapi.json` to `router`. */
export function registerOpenApiRoute(router: RestRouter, info: OpenApiInfo): void {
  let document: Json | undefined;
  router.add(
    'GET',
    '/api/openapi.json',
    () => {
      document ??= openApiDocument(router.definitions, info);
      return { status: 200, body: document };
    },
    'anonymous',
    { summary: 'This document: the OpenAPI 3.1 description of every route.', tags: ['meta'], schema: { response: { 200: { type: 'object', required: ['openapi', 'paths'] } } } },
  );
}

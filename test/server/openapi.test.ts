/**
 * `GET /api/openapi.json` describes the running app: an OpenAPI 3.1 document whose structure
 * holds (operations with responses, declared path parameters, resolvable references, unique
 * operation ids) and which has every registered route, with the schemas the routes check.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiPath } from '../../apps/server/src/rest/openapi.js';
import { startTestApp, type TestApp } from './support.js';

const METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options']);

type Json = Record<string, any>;

/** The structural problems of an OpenAPI 3.1 document (empty: none). */
function problemsOf(document: Json): string[] {
  const problems: string[] = [];
  if (document['openapi'] !== '3.1.0') problems.push(`openapi is ${String(document['openapi'])}`);
  if (typeof document['info']?.title !== 'string' || typeof document['info']?.version !== 'string') problems.push('info needs title and version');
  const ids = new Set<string>();
  const resolve = (ref: string) => ref.replace(/^#\//, '').split('/').reduce<any>((node, key) => node?.[key], document);
  const walk = (node: unknown, where: string) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && (typeof value !== 'string' || resolve(value) === undefined)) problems.push(`${where}: unresolved $ref ${String(value)}`);
      walk(value, `${where}/${key}`);
    }
  };
  walk(document, '#');
  for (const [path, item] of Object.entries(document['paths'] as Json)) {
    if (!path.startsWith('/')) problems.push(`${path}: must start with /`);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    for (const [method, operation] of Object.entries(item as Json)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.has(method)) problems.push(`${where}: not an HTTP method`);
      if (typeof operation.operationId !== 'string' || ids.has(operation.operationId)) problems.push(`${where}: operationId missing or repeated`);
      ids.add(operation.operationId);
      if (typeof operation.responses !== 'object' || Object.keys(operation.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        if (!/^([1-5]\d\d|default)$/.test(status)) problems.push(`${where}: response ${status}`);
        if (typeof response.description !== 'string') problems.push(`${where}: response ${status} has no description`);
      }
      const declared = (operation.parameters ?? []).filter((parameter: Json) => parameter['in'] === 'path').map((parameter: Json) => parameter['name']);
      assert.deepEqual([...declared].sort(), [...templated].sort(), `${where}: path parameters`);
      for (const parameter of operation.parameters ?? []) {
        if (!['path', 'query', 'header', 'cookie'].includes(parameter.in) || typeof parameter.name !== 'string' || typeof parameter.schema !== 'object') problems.push(`${where}: parameter ${JSON.stringify(parameter)}`);
        if (parameter.in === 'path' && parameter.required !== true) problems.push(`${where}: path parameter ${parameter.name} not required`);
      }
      for (const requirement of operation.security ?? []) {
        for (const scheme of Object.keys(requirement)) if (document['components']?.securitySchemes?.[scheme] === undefined) problems.push(`${where}: unknown security scheme ${scheme}`);
      }
    }
  }
  return problems;
}

describe('GET /api/openapi.json', () => {
  let server: TestApp;
  let document: Json;
  before(async () => {
    server = await startTestApp();
    const answer = await server.request('GET', '/api/openapi.json');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    document = answer.body as Json;
  });
  after(() => server.stop());

  test('is a structurally valid OpenAPI 3.1 document', () => {
    assert.deepEqual(problemsOf(document), []);
    assert.equal(openApiPath('/api/hubs/:hub/connections/:connectionId/::invoke'), '/api/hubs/{hub}/connections/{connectionId}/:invoke');
    assert.equal(openApiPath('/assets/*'), '/assets/{path}');
  });

  test('has every registered route, with its method', () => {
    assert.ok(server.app.routes.length >= 25);
    for (const route of server.app.routes) {
      const [method, path] = route.split(' ') as [string, string];
      assert.ok(document['paths'][openApiPath(path)]?.[method.toLowerCase()], `${route} in the document`);
    }
  });

  test('carries the schemas the routes check, and who may call them', () => {
    const create = document['paths']['/api/campaigns']['post'];
    assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name']);
    assert.equal(create.requestBody.required, true);
    assert.deepEqual(create.security, [{ bearer: [] }]);
    const cancel = document['paths']['/api/campaigns/{id}/cancel']['post'];
    assert.equal(cancel.requestBody.required, false);
    const notify = document['paths']['/api/synaxis/organizations/{id}/notifications']['post'];
    assert.equal(notify.parameters[0].schema.pattern, '^[a-z0-9][a-z0-9._-]{0,63}$');
    assert.equal(document['paths']['/healthz']['get'].security, undefined, 'open routes need nothing');
    assert.deepEqual(Object.keys(document['paths']['/api/auth/token']['post'].responses).sort(), ['200', '401', 'default']);
  });

  test('the structural check finds what is wrong', () => {
    const broken = structuredClone(document);
    broken['openapi'] = '2.0';
    broken['paths']['/healthz']['get'].responses = {};
    broken['paths']['/healthz']['get'].security = [{ nowhere: [] }];
    broken['paths']['/healthz']['get'].x = { $ref: '#/components/schemas/Missing' };
    assert.equal(problemsOf(broken).length, 4, problemsOf(broken).join('\n'));
  });
});

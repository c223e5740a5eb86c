/**
 * The server's docs stay true: every setting is in docs/server.md, every REST route in
 * docs/rest-api.md, and every request of docs/rest-api.http runs with the answer it promises.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { SETTINGS } from '../../apps/server/src/config.js';
import { startTestApp, type TestApp } from './support.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

interface HttpExample {
  readonly title: string;
  readonly name: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** Parses the `###`-separated requests of a .http file. */
function parseHttpFile(text: string): { variables: Record<string, string>; examples: HttpExample[] } {
  const variables: Record<string, string> = {};
  const [preamble, ...blocks] = text.split(/^###/m);
  for (const line of preamble!.split('\n')) {
    const match = /^@(\w+)\s*=\s*(.+)$/.exec(line.trim());
    if (match) variables[match[1]!] = match[2]!;
  }
  const examples = blocks.map((block) => {
    const lines = block.split('\n');
    const title = lines.shift()!.trim();
    let name: string | undefined;
    const rest = lines.filter((line) => {
      const named = /^#\s*@name\s+(\w+)/.exec(line.trim());
      if (named) name = named[1];
      return !line.trim().startsWith('#');
    });
    while (rest.length > 0 && rest[0]!.trim() === '') rest.shift();
    const [method, url] = rest.shift()!.trim().split(/\s+/) as [string, string];
    const headers: Record<string, string> = {};
    while (rest.length > 0 && rest[0]!.trim() !== '') {
      const line = rest.shift()!;
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const body = rest.join('\n').trim();
    return { title, name, method, path: url.replace('{{base}}', ''), headers, body: body === '' ? undefined : body };
  });
  return { variables, examples };
}

describe('server docs', () => {
  let server: TestApp;
  before(async () => {
    server = await startTestApp();
  });
  after(() => server.stop());

  test('docs/server.md lists every setting with its variable and file key', () => {
    const text = doc('server.md');
    for (const setting of SETTINGS) {
      assert.ok(text.includes(`| \`${setting.env}\` | \`${setting.key}\` |`), `${setting.env} / ${setting.key} in docs/server.md`);
    }
  });

  test('docs/rest-api.md lists every REST route', () => {
    const text = doc('rest-api.md');
    const apiRoutes = server.app.routes.filter((route) => route.split(' ')[1]!.startsWith('/api/') || ['/healthz', '/readyz'].includes(route.split(' ')[1]!));
    assert.ok(apiRoutes.length >= 20);
    for (const route of apiRoutes) {
      const [method, path] = route.split(' ') as [string, string];
      // `:name` is a parameter, `::` a literal colon (Azure's `/:send`).
      const documented = path.replace(/(?<!:):(\w+)/g, '{$1}').replaceAll('::', ':');
      const relative = documented.replace('/api/admin/realtime/', '');
      assert.ok(text.includes(`${method} ${documented}`) || text.includes(`${method} ${relative}`), `${route} in docs/rest-api.md`);
    }
  });

  test('every request of docs/rest-api.http answers as its title says (2xx unless "-> NNN")', async () => {
    const { variables, examples } = parseHttpFile(doc('rest-api.http'));
    assert.equal(variables['base'], 'http://127.0.0.1:5000');
    const responses = new Map<string, unknown>();
    const substitute = (text: string) =>
      text.replace(/\{\{(\w+)\.response\.body\.(\w+)\}\}/g, (_, name: string, field: string) => {
        const body = responses.get(name) as Record<string, unknown> | undefined;
        assert.ok(body !== undefined, `response of ${name} used before it is sent`);
        return String(body[field]);
      });
    assert.ok(examples.length >= 25);
    for (const example of examples) {
      const headers = Object.fromEntries(Object.entries(example.headers).map(([key, value]) => [key, substitute(value)]));
      const answer = await server.request(example.method, substitute(example.path), { headers, rawBody: example.body === undefined ? undefined : substitute(example.body) });
      const promised = /->\s*(\d{3})/.exec(example.title);
      if (promised) assert.equal(answer.status, Number(promised[1]), `${example.title}: ${JSON.stringify(answer.body)}`);
      else assert.ok(answer.status >= 200 && answer.status < 300, `${example.title}: ${answer.status} ${JSON.stringify(answer.body)}`);
      if (example.name !== undefined) responses.set(example.name, answer.body);
    }
  });
});

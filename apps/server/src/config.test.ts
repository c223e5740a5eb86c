import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, DEMO_JWT_SECRET, isLoopbackHost, loadConfig, SETTINGS, validateConfig } from './config.js';

const SECRET = 'a-production-secret-that-is-long-enough';

/** loadConfig with a fake file system holding `files`. */
function load(env: Record<string, string>, files: Record<string, string> = {}, argv: string[] = []) {
  return loadConfig({
    env,
    argv,
    readFile: (path) => {
      const content = files[path];
      if (content === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return content;
    },
  });
}

function refused(env: Record<string, string>, pattern: RegExp, files: Record<string, string> = {}, argv: string[] = []) {
  assert.throws(() => load(env, files, argv), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('configuration', () => {
  test('no configuration at all is the demo configuration', () => {
    const config = load({});
    assert.equal(config.port, 5000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.demo, true);
    assert.equal(config.jwt.secret, DEMO_JWT_SECRET);
    assert.equal(config.jwt.issuer, 'hubwire-demo');
    assert.equal(config.jwt.audience, 'hubwire');
    assert.deepEqual(config.corsOrigins, []);
    assert.deepEqual(config.simulators.events, { enabled: true, minDelayMs: 2000, maxDelayMs: 8000 });
    assert.equal(config.limits.maxMessageSize, 32_768);
    assert.deepEqual(config.source, { file: undefined, env: [] });
  });

  test('environment over file over defaults, file from --config or HUBWIRE_CONFIG', () => {
    const file = JSON.stringify({ port: 6000, logLevel: 'debug', simulators: { events: { minDelayMs: 100, maxDelayMs: 200 } }, corsOrigins: ['https://a.example'] });
    const files = { '/etc/hubwire.json': file };
    const viaArgv = load({ PORT: '7000', EVENTS_MAX_DELAY_MS: '300' }, files, ['--config', '/etc/hubwire.json']);
    assert.equal(viaArgv.port, 7000, 'env wins over the file');
    assert.equal(viaArgv.logLevel, 'debug', 'the file wins over the default');
    assert.equal(viaArgv.simulators.events.minDelayMs, 100);
    assert.equal(viaArgv.simulators.events.maxDelayMs, 300);
    assert.equal(viaArgv.simulators.events.enabled, true, 'untouched neighbours keep their default');
    assert.deepEqual(viaArgv.corsOrigins, ['https://a.example']);
    assert.deepEqual(viaArgv.source, { file: '/etc/hubwire.json', env: ['PORT', 'EVENTS_MAX_DELAY_MS'] });
    assert.equal(load({ HUBWIRE_CONFIG: '/etc/hubwire.json' }, files).port, 6000);
    assert.equal(load({}, files, ['--config=/etc/hubwire.json']).port, 6000);
  });

  test('environment values are parsed: lists, booleans, numbers; empty means unset', () => {
    const config = load({ CORS_ORIGINS: 'https://a.example, http://localhost:3000', DEMO: 'no', JWT_SECRET: SECRET, ALLOW_NON_LOOPBACK: '1', MAX_MESSAGE_SIZE: '65536', PORT: '' });
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'http://localhost:3000']);
    assert.equal(config.demo, false);
    assert.equal(config.allowNonLoopback, true);
    assert.equal(config.limits.maxMessageSize, 65_536);
    assert.equal(config.port, 5000);
    assert.equal(config.jwt.issuer, '', 'outside demo mode the issuer is not checked unless set');
  });

  test('a bad value names the setting', () => {
    refused({ PORT: 'abc' }, /^PORT must be an integer from 0 to 65535; got 'abc'\.$/);
    refused({ PORT: '70000' }, /^PORT must be/);
    refused({ PORT: '12.5' }, /^PORT must be/);
    refused({ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
    refused({ DEMO: 'maybe' }, /^DEMO must be true or false/);
    refused({ CORS_ORIGINS: 'not a url' }, /^CORS_ORIGINS must be a list of origins/);
    refused({ CORS_ORIGINS: 'https://a.example/path' }, /^CORS_ORIGINS must be/);
    refused({ JWT_SECRET: 'short' }, /^JWT_SECRET must be a secret of at least 32 bytes; got \(hidden\)\.$/);
    refused({ JWT_JWKS_URL: 'ftp://keys', DEMO: 'false' }, /^JWT_JWKS_URL must be an http\(s\) URL/);
    refused({ EVENTS_MIN_DELAY_MS: '0' }, /^EVENTS_MIN_DELAY_MS must be an integer from 1/);
    refused({ EVENTS_MIN_DELAY_MS: '5000', EVENTS_MAX_DELAY_MS: '1000' }, /EVENTS_MIN_DELAY_MS \(simulators\.events\.minDelayMs\) must not exceed EVENTS_MAX_DELAY_MS/);
    refused({ SHUTDOWN_TIMEOUT_MS: '-1' }, /^SHUTDOWN_TIMEOUT_MS must be/);
    refused({ MAX_REQUEST_BODY_SIZE: '10' }, /^MAX_REQUEST_BODY_SIZE must be an integer from 256/);
    refused({ HOST: 'bad host!' }, /^HOST must be a host name or IP address/);
  });

  test('a bad file names the file and the setting', () => {
    refused({}, /Setting 'simulators\.events\.maxDelayMs' in c\.json must be an integer/, { 'c.json': '{"simulators":{"events":{"maxDelayMs":"soon"}}}' }, ['--config', 'c.json']);
    refused({}, /unknown setting 'simulators\.event'/, { 'c.json': '{"simulators":{"event":{}}}' }, ['--config', 'c.json']);
    refused({}, /unknown setting 'prot'/, { 'c.json': '{"prot":1}' }, ['--config', 'c.json']);
    refused({}, /'c\.json' is not valid JSON/, { 'c.json': '{port:1' }, ['--config', 'c.json']);
    refused({}, /must hold a JSON object/, { 'c.json': '[]' }, ['--config', 'c.json']);
    refused({}, /'missing\.json' cannot be read/, {}, ['--config', 'missing.json']);
    refused({}, /--config needs a file path/, {}, ['--config']);
  });

  test('JWT: outside demo mode a secret or a JWKS URL is required, not both', () => {
    refused({ DEMO: 'false' }, /JWT_SECRET \(jwt\.secret\) or JWT_JWKS_URL \(jwt\.jwksUrl\) is required when DEMO is false/);
    refused({ DEMO: 'false', JWT_SECRET: SECRET, JWT_JWKS_URL: 'https://idp.example/jwks.json' }, /Set only one of JWT_SECRET/);
    refused({ JWT_JWKS_URL: 'https://idp.example/jwks.json' }, /JWT_JWKS_URL .* cannot be used in demo mode/);
    const jwks = load({ DEMO: 'false', JWT_JWKS_URL: 'https://idp.example/jwks.json', JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'api' });
    assert.equal(jwks.jwt.secret, undefined);
    assert.equal(jwks.jwt.issuer, 'https://idp.example/');
  });

  test('demo mode refuses a non-loopback HOST unless ALLOW_NON_LOOPBACK', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) refused({ HOST: host }, new RegExp(`^HOST '${host.replace(/\./g, '\\.')}' is not a loopback address.*ALLOW_NON_LOOPBACK=true`));
    assert.equal(load({ HOST: '0.0.0.0', ALLOW_NON_LOOPBACK: 'true' }).host, '0.0.0.0');
    assert.equal(load({ HOST: '0.0.0.0', DEMO: 'false', JWT_SECRET: SECRET }).host, '0.0.0.0');
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.equal(isLoopbackHost(host), true, host);
  });

  test('validateConfig checks hand-made configurations too', () => {
    const config = load({});
    assert.throws(() => validateConfig({ ...config, host: '0.0.0.0' }), /HOST '0\.0\.0\.0' is not a loopback address/);
  });

  test('every setting has a distinct key and environment variable', () => {
    assert.equal(new Set(SETTINGS.map((setting) => setting.key)).size, SETTINGS.length);
    assert.equal(new Set(SETTINGS.map((setting) => setting.env)).size, SETTINGS.length);
  });
});

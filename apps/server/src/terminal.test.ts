import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readyLine, startFailureLine } from './terminal.js';

const HUBS = ['/hubs/events', '/hubs/chat'];
const failure = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('readyLine', () => {
  test('demo mode: the page to open and the demo log-in', () => {
    assert.equal(
      readyLine({ config: { demo: true }, url: 'http://127.0.0.1:5000', hubPaths: HUBS }),
      'Hubwire is running: open http://127.0.0.1:5000/ for the web app (live events, the admin dashboard, chat, campaigns, organizations); log in as admin / demo (or jane.smith, john.doe, same password) with POST http://127.0.0.1:5000/api/auth/token to try the other hubs (/hubs/events, /hubs/chat); what each hub does: http://127.0.0.1:5000/docs/hubs.md. Ctrl+C stops it.',
    );
  });

  test('without demo mode it offers no demo users', () => {
    const line = readyLine({ config: { demo: false }, url: 'http://10.0.0.5:8080', hubPaths: HUBS });
    assert.match(line, /^Hubwire is running at http:\/\/10\.0\.0\.5:8080\/ \(hubs: \/hubs\/events, \/hubs\/chat\); demo mode is off/);
    assert.doesNotMatch(line, /admin|demo \//);
  });

  test('an address that listens everywhere is shown as loopback, which a browser can open', () => {
    assert.match(readyLine({ config: { demo: true }, url: 'http://0.0.0.0:5000', hubPaths: HUBS }), /open http:\/\/127\.0\.0\.1:5000\//);
    assert.match(readyLine({ config: { demo: true }, url: 'http://[::]:5000', hubPaths: HUBS }), /open http:\/\/\[::1\]:5000\//);
    assert.match(readyLine({ config: { demo: true }, url: 'http://[::1]:5000', hubPaths: HUBS }), /open http:\/\/\[::1\]:5000\//);
  });
});

describe('startFailureLine', () => {
  const config = { host: '127.0.0.1', port: 80 };

  test('names the setting that fixes a bind error', () => {
    assert.match(startFailureLine(failure('EADDRINUSE'), config)!, /^hubwire: cannot start: port 80 on 127\.0\.0\.1 is already in use\. Set PORT /);
    assert.match(startFailureLine(failure('EACCES'), config)!, /not allowed to listen on port 80 .* Set PORT to a port from 1024 to 65535\.$/);
    assert.match(startFailureLine(failure('EADDRNOTAVAIL'), config)!, /HOST '127\.0\.0\.1' is not an address of this machine \(port 80\)\. Set HOST /);
    assert.match(startFailureLine(failure('ENOTFOUND'), config)!, /HOST '127\.0\.0\.1' cannot be resolved/);
    for (const code of ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND']) assert.ok(!startFailureLine(failure(code), config)!.includes('\n'), `${code}: one line`);
  });

  test('other errors are not its business', () => {
    assert.equal(startFailureLine(new Error('boom'), config), undefined);
    assert.equal(startFailureLine(failure('EMFILE'), config), undefined);
    assert.equal(startFailureLine(undefined, config), undefined);
    assert.equal(startFailureLine('text', config), undefined);
  });
});

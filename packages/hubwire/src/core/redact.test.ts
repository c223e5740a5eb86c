import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactHeaders, redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('replaces the access token and keeps everything else as it was', () => {
    assert.equal(redactUrl('/hubs/chat?id=abc&access_token=eyJ.x.y'), `/hubs/chat?id=abc&access_token=${REDACTED}`);
    assert.equal(redactUrl('/a?access_token=secret'), `/a?access_token=${REDACTED}`);
  });

  it('matches keys in any case and when percent-encoded', () => {
    assert.equal(redactUrl('/a?Access_Token=s1&x=1'), `/a?Access_Token=${REDACTED}&x=1`);
    assert.equal(redactUrl('/a?access%5Ftoken=s2'), `/a?access%5Ftoken=${REDACTED}`);
  });

  it('keeps a fragment and leaves URLs without secrets untouched (the same string)', () => {
    assert.equal(redactUrl('/a?token=s#frag'), `/a?token=${REDACTED}#frag`);
    const plain = '/api/campaigns?limit=5';
    assert.equal(redactUrl(plain), plain);
    assert.equal(redactUrl('/no-query'), '/no-query');
    assert.equal(redactUrl(undefined), undefined);
  });

  it('survives malformed escapes', () => {
    assert.equal(redactUrl('/a?%E0%A4%A=1&access_token=t'), `/a?%E0%A4%A=1&access_token=${REDACTED}`);
  });
});

describe('redactHeaders', () => {
  it('replaces credential headers and copies the others', () => {
    const headers = { authorization: 'Bearer t', cookie: 'a=b', host: 'h', 'x-api-key': 'k' };
    assert.deepEqual(redactHeaders(headers), { authorization: REDACTED, cookie: REDACTED, host: 'h', 'x-api-key': REDACTED });
    assert.equal(headers.authorization, 'Bearer t');
  });
});

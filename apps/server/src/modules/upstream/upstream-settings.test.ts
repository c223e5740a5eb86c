import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedTarget, UpstreamSettings } from './upstream-settings.js';

const item = (urlTemplate: string, hubPattern = '*', categoryPattern = '*', eventPattern = '*') => ({ urlTemplate, hubPattern, categoryPattern, eventPattern });

test('the first item whose three patterns match wins; names and comma lists ignore case', () => {
  const settings = new UpstreamSettings([
    item('http://a/{event}', 'chat, Orders', 'connections', 'connected'),
    item('http://b/{event}', 'CHAT', 'messages,groups', '*'),
    item('http://c/{event}'),
  ]);
  assert.equal(settings.match('chat', 'connections', 'connected')?.urlTemplate, 'http://a/{event}');
  assert.equal(settings.match('orders', 'connections', 'CONNECTED')?.urlTemplate, 'http://a/{event}');
  assert.equal(settings.match('Chat', 'connections', 'disconnected')?.urlTemplate, 'http://c/{event}');
  assert.equal(settings.match('chat', 'groups', 'joined')?.urlTemplate, 'http://b/{event}');
  assert.equal(settings.match('chat', 'messages', 'SendMessage')?.urlTemplate, 'http://b/{event}');
  assert.equal(settings.match('other', 'messages', 'x')?.urlTemplate, 'http://c/{event}');
});

test('no item matches: undefined; no items at all: nothing matches', () => {
  const settings = new UpstreamSettings([item('http://a', 'chat', 'connections', 'connected,disconnected')]);
  assert.equal(settings.match('chat', 'groups', 'joined'), undefined);
  assert.equal(settings.match('chat2', 'connections', 'connected'), undefined);
  assert.equal(settings.match('cha', 'connections', 'connected'), undefined);
  assert.equal(new UpstreamSettings([]).match('chat', 'connections', 'connected'), undefined);
  assert.equal(new UpstreamSettings([]).size, 0);
});

test('url fills the template with each value percent-encoded and keeps the rest as written', () => {
  const settings = new UpstreamSettings([]);
  const setting = item('https://fn.example.com/api/{hub}/{category}/{event}?code=k&h={hub}');
  assert.equal(settings.url(setting, 'chat', 'connections', 'connected'), 'https://fn.example.com/api/chat/connections/connected?code=k&h=chat');
  assert.equal(settings.url(setting, 'chat', 'messages', 'a/b?c d&é'), 'https://fn.example.com/api/chat/messages/a%2Fb%3Fc%20d%26%C3%A9?code=k&h=chat');
});

test('redactedTarget keeps origin and path only', () => {
  assert.equal(redactedTarget('https://user:pw@fn.example.com:8443/api/chat?code=secret#x'), 'https://fn.example.com:8443/api/chat');
  assert.equal(redactedTarget('not a url'), '(invalid URL)');
});

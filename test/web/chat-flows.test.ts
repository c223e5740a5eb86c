/**
 * The chat view in Chromium against the real server: two users in two browser contexts join a
 * workflow, see each other and chat; then one loses its connection (the socket cut, and its
 * reconnects refused for a while) while the other writes, and once back it shows the messages it
 * missed — replayed by the workflow's history, each once, with contiguous offsets — and a notice
 * that they were recovered. No console errors beyond the cut's own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { webSuite, type WebPage } from './support.js';

const CHAT_STATUS = '[data-testid="connection-status"][data-hub="/hubs/chat"]';
/** What the browser logs for the negotiates the test refuses while the connection is cut. */
const CUT_NOISE = [/net::ERR_FAILED/, /Failed to load resource/];

declare global {
  interface Window {
    /** Every WebSocket the page opened (the init script below records them). */
    __sockets?: WebSocket[];
  }
}

/** Keeps the page's WebSockets reachable, so the test can cut one. */
function recordSockets() {
  const Native = window.WebSocket;
  const sockets: WebSocket[] = [];
  window.__sockets = sockets;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  };
}

async function lineTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid="chat-line"][data-kind="message"] [data-testid="chat-text"]').allTextContents();
}

async function waitForText(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="chat-line"][data-kind="message"] [data-testid="chat-text"]', { hasText: text }).first().waitFor();
}

describe('chat in Chromium', () => {
  const suite = webSuite();

  async function openChat(user: 'jane.smith' | 'john.doe', init?: () => void): Promise<WebPage> {
    const web = await suite.open();
    if (init !== undefined) await web.context.addInitScript(init);
    await web.goto('/chat');
    await web.page.waitForURL(/\/login\?next=%2Fchat$/);
    await web.login(user);
    await web.page.waitForURL(/\/chat$/);
    await web.page.locator(`${CHAT_STATUS}[data-state="connected"]`).waitFor();
    return web;
  }

  async function join(web: WebPage, workflow: string): Promise<void> {
    await web.page.getByTestId('chat-workflow-input').fill(workflow);
    await web.page.getByTestId('chat-join').click();
    await web.page.locator(`[data-testid="chat-conversation"][data-room="${workflow}"]`).waitFor();
    await web.page.getByTestId(`chat-leave-${workflow}`).waitFor();
  }

  async function send(web: WebPage, text: string): Promise<void> {
    await web.page.getByTestId('chat-input').fill(text);
    await web.page.getByTestId('chat-send').click();
    // Cleared once the hub acknowledged it.
    await web.page.waitForFunction(() => (document.querySelector('[data-testid="chat-input"]') as HTMLInputElement | null)?.value === '');
  }

  test('two users chat in a workflow; one is cut off, and on its return the messages it missed are recovered once each', async () => {
    const jane = await openChat('jane.smith', recordSockets);
    const john = await openChat('john.doe');
    await join(jane, 'launch');
    await join(john, 'launch');

    // Jane was there first: she sees John join; he sees her from the member list the hub gives
    // on joining, before anyone writes.
    await jane.page.locator('[data-testid="chat-member"]', { hasText: 'john.doe' }).waitFor();
    await john.page.locator('[data-testid="chat-member"]', { hasText: 'jane.smith' }).waitFor();
    await send(jane, 'hello John');
    await waitForText(john.page, 'hello John');
    await send(john, 'hi Jane');
    await waitForText(jane.page, 'hi Jane');
    assert.equal(await john.page.locator('label[for="chat-text"]').textContent(), 'Message to launch');

    // The cut: Jane's chat socket closes and her negotiates fail until the test lets them through.
    await jane.context.route('**/hubs/chat/negotiate**', (route) => route.abort());
    const cut = await jane.page.evaluate(() => {
      const open = (window.__sockets ?? []).filter((socket) => socket.url.includes('/hubs/chat') && socket.readyState === WebSocket.OPEN);
      for (const socket of open) socket.close(4000, 'cut by the test');
      return open.length;
    });
    assert.equal(cut, 1, 'one chat socket was open');
    await jane.page.locator(`${CHAT_STATUS}[data-state="reconnecting"]`).waitFor();
    await john.page.locator('[data-testid="chat-line"][data-kind="left"]', { hasText: 'jane.smith disconnected' }).waitFor();

    await send(john, 'while you were away 1');
    await send(john, 'while you were away 2');
    await jane.context.unroute('**/hubs/chat/negotiate**');

    // Back (the next retry is at most 5 s away): the workflow is joined again from her last position.
    await jane.page.locator(`${CHAT_STATUS}[data-state="connected"]`).waitFor({ timeout: 15_000 });
    await jane.page.locator('[data-testid="chat-recovery"][data-recovered="true"]').waitFor();
    await waitForText(jane.page, 'while you were away 2');
    assert.deepEqual(await lineTexts(jane.page), ['hello John', 'hi Jane', 'while you were away 1', 'while you were away 2']);
    const offsets = await jane.page.locator('[data-testid="chat-line"][data-offset]').evaluateAll((lines) => lines.map((line) => Number(line.getAttribute('data-offset'))));
    assert.deepEqual(offsets, offsets.map((_, index) => offsets[0]! + index), `contiguous offsets: ${offsets.join(', ')}`);
    assert.match((await jane.page.getByTestId('chat-recovery').textContent()) ?? '', /missed lines? (was|were) recovered/);

    // Still in the workflow on the server: what she writes reaches John.
    await send(jane, 'back again');
    await waitForText(john.page, 'back again');

    // Leaving: John's messages go to everyone again, and Jane sees John leave.
    await john.page.getByTestId('chat-leave-launch').click();
    await jane.page.locator('[data-testid="chat-line"][data-kind="left"]', { hasText: 'john.doe left' }).waitFor();
    await john.page.locator('[data-testid="chat-conversation"][data-room="*"]').waitFor();
    assert.match((await john.page.locator('label[for="chat-text"]').textContent()) ?? '', /Message to everyone connected/);

    jane.assertNoConsoleErrors(CUT_NOISE);
    john.assertNoConsoleErrors();
  });

  test('a workflow id the hub refuses shows its reason', async () => {
    const jane = await openChat('jane.smith');
    await jane.page.getByTestId('chat-workflow-input').fill('-bad id');
    await jane.page.getByTestId('chat-join').click();
    assert.match((await jane.page.getByTestId('chat-error').textContent()) ?? '', /Could not join -bad id: A workflow id needs 1 to 100 characters/);
    assert.equal(await jane.page.locator('[data-testid^="chat-room-"]').count(), 1, 'only the everyone room');
    jane.assertNoConsoleErrors();
  });
});

/**
 * Screenshots of the web app's views for the README and docs/web-app.md: the server app in demo
 * mode (its simulators on, as `npm start` runs it) on a free loopback port, headless Chromium,
 * a login per view's user, a few seconds for live data to arrive, then a PNG of each view in
 * docs/screenshots/. Not a test; run it after changing the web app:
 *
 *   npm run build && npm run screenshots
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startApp } from '../apps/server/src/app.js';
import { loadConfig } from '../apps/server/src/config.js';
import { closeBrowser, demoToken, ensureWebBuild, launchBrowser, openPage, type DemoUserName, type WebPage } from '../test/web/support.js';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
/** How long a view gets for its live data (charts, feeds) before the picture. */
const SETTLE_MS = 6_000;

interface Shot {
  readonly file: string;
  readonly path: string;
  readonly user: DemoUserName;
  readonly viewport?: { readonly width: number; readonly height: number };
  /** The whole page, not only the first screen (views whose charts are further down). */
  readonly fullPage?: boolean;
}

const SHOTS: readonly Shot[] = [
  { file: 'login.png', path: '/login', user: 'admin' },
  { file: 'events.png', path: '/events', user: 'jane.smith' },
  { file: 'admin.png', path: '/admin', user: 'admin', fullPage: true },
  { file: 'operator.png', path: '/operator', user: 'admin', fullPage: true },
  { file: 'chat.png', path: '/chat', user: 'jane.smith' },
  { file: 'campaigns.png', path: '/campaigns', user: 'jane.smith' },
  { file: 'organizations.png', path: '/organizations', user: 'jane.smith' },
  { file: 'events-phone.png', path: '/events', user: 'john.doe', viewport: { width: 390, height: 844 } },
];

/** What an admin would send through the REST API, so the dashboard's picture has alerts, charts and a feed. */
async function feedAdminDashboard(base: string): Promise<void> {
  const accessToken = await demoToken(base, 'admin');
  const post = async (path: string, body: unknown): Promise<void> => {
    const answer = await fetch(`${base}/api/admin/realtime/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify(body) });
    if (!answer.ok) throw new Error(`POST ${path}: ${answer.status} ${await answer.text()}`);
  };
  await post('alert/warning', { title: 'Queue depth rising', message: 'Campaign queue at 80 % of its limit', source: 'campaigns' });
  await post('alert/error', { title: 'Payment webhook failing', message: '3 deliveries in a row answered 502', source: 'billing' });
  await post('alert', { severity: 'success', title: 'Nightly export done', message: '12,480 rows exported', source: 'export' });
  await post('notify/user-action', { userId: 'jane.smith', userName: 'Jane Smith', action: 'created campaign', details: { campaign: 'Spring launch' } });
  await post('notify/user-action', { userId: 'john.doe', userName: 'John Doe', action: 'joined workflow', details: { workflow: 'launch' } });
  for (const [i, amount] of [1200, 1450, 1390, 1720, 1980].entries()) {
    await post('broadcast/revenue', { amount, currency: 'USD', period: 'day', changePercent: i === 0 ? null : 5 * i });
    await post('broadcast/analytics', { metrics: { activeUsers: 40 + 7 * i, pageViews: 900 + 130 * i }, period: 'minute' });
    await post('broadcast/generation-metrics', { totalGenerations: 120 + 35 * i, successRate: 0.9 + 0.015 * i, averageDurationMs: 1800 - 90 * i });
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

/** On the chat view: joins `workflow` and sends `text` there. */
async function joinAndSay(web: WebPage, workflow: string, text: string): Promise<void> {
  if (!web.page.url().endsWith('/chat')) await web.goto('/chat');
  await web.page.getByTestId('chat-workflow-input').fill(workflow);
  await web.page.getByTestId('chat-join').click();
  await web.page.getByTestId('chat-members').waitFor();
  await web.page.getByTestId('chat-input').fill(text);
  await web.page.getByTestId('chat-send').click();
  await web.page.getByText(text).first().waitFor();
}

mkdirSync(OUT, { recursive: true });
await ensureWebBuild();
const app = await startApp(loadConfig({ env: { PORT: '0', LOG_LEVEL: 'silent', ADMIN_STATS_INTERVAL_MS: '1000' } }), { logger: pino({ level: 'silent' }) });
const browser = await launchBrowser();
// Someone else on the event stream meanwhile, so the admin and operator views count a connection.
const background = await openPage(browser, () => app.url);
try {
  await background.login('john.doe');
  await background.goto('/events');
  for (const shot of SHOTS) {
    const web = await openPage(browser, () => app.url, shot.viewport ? { viewport: shot.viewport } : {});
    try {
      if (shot.path !== '/login') {
        await web.login(shot.user);
        await web.goto(shot.path);
        if (shot.path === '/admin') {
          // Once the dashboard is connected and has joined its groups (it does right after connecting).
          await web.page.locator('[data-testid="connection-status"][data-hub="/hubs/admin"][data-state="connected"]').waitFor();
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          await feedAdminDashboard(app.url);
        }
        if (shot.path === '/campaigns') await web.page.getByTestId('campaign-create').click();
        if (shot.path === '/chat') {
          // Two people in a workflow: john (the background page's user) joins first, then this one writes.
          await joinAndSay(background, 'launch', 'Staging is green, shipping at 5');
          await joinAndSay(web, 'launch', 'Great, I will watch the dashboards');
        }
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      } else {
        await web.goto('/login');
      }
      await web.page.screenshot({ path: `${OUT}${shot.file}`, fullPage: shot.fullPage === true });
      process.stdout.write(`wrote docs/screenshots/${shot.file}${web.errors.length > 0 ? ` (console errors: ${web.errors.join('; ')})` : ''}\n`);
    } finally {
      await web.close();
    }
  }
} finally {
  await background.close();
  await closeBrowser(browser);
  await app.stop();
}

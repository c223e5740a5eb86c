/**
 * The demo page's HTML, script and stylesheet, kept as strings so the built server (dist/) needs
 * no copied assets. The script uses the official browser client (`signalR` global, served from
 * /assets/signalr.min.js), connects to /hubs/events with automatic reconnect and shows the feed
 * and the connection state. No inline script or style: the page runs under a strict CSP.
 * @module
 */

/** Documentation links shown on the page (served from the repository's docs/ by /docs/:name). */
export const DOC_LINKS: readonly (readonly [href: string, label: string])[] = [
  ['/docs/hubs.md', 'Hubs: methods, client events, payloads'],
  ['/docs/client-example.ts', 'TypeScript client with automatic reconnect'],
  ['/docs/hub-api.md', 'Writing hubs with Hubwire'],
  ['/docs/getting-started.md', 'Getting started'],
  ['/docs/protocol.md', 'The SignalR protocol as Hubwire speaks it'],
];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The page; `hubPaths` are listed for reference. */
export function renderIndexHtml(hubPaths: readonly string[]): string {
  const docs = DOC_LINKS.map(([href, label]) => `<li><a href="${escapeHtml(href)}">${escapeHtml(label)}</a></li>`).join('\n          ');
  const hubs = hubPaths.map((path) => `<li><code>${escapeHtml(path)}</code></li>`).join('\n          ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Hubwire live demo</title>
    <link rel="stylesheet" href="/assets/demo.css">
  </head>
  <body>
    <header>
      <h1>Hubwire <span class="muted">live demo</span></h1>
      <p class="status">
        <span id="connection-state" class="state" data-state="connecting" role="status" aria-live="polite">connecting</span>
        <span id="connection-detail" class="muted"></span>
      </p>
    </header>
    <main>
      <section class="feed">
        <h2>Live events from <code>/hubs/events</code> <span id="event-count" class="badge">0</span></h2>
        <p id="empty" class="muted">Waiting for the first event…</p>
        <ol id="feed" reversed></ol>
      </section>
      <aside>
        <h2>Event types</h2>
        <ul id="type-counts" class="counts"></ul>
        <h2>Documentation</h2>
        <ul>
          ${docs}
        </ul>
        <h2>Hubs on this server</h2>
        <ul>
          ${hubs}
        </ul>
      </aside>
    </main>
    <script src="/assets/signalr.min.js"></script>
    <script src="/assets/demo.js"></script>
  </body>
</html>
`;
}

/** The page's script (plain browser JavaScript). */
export const DEMO_JS = `'use strict';
(function () {
  var MAX_ITEMS = 100;
  var stateEl = document.getElementById('connection-state');
  var detailEl = document.getElementById('connection-detail');
  var feedEl = document.getElementById('feed');
  var emptyEl = document.getElementById('empty');
  var countEl = document.getElementById('event-count');
  var typeCountsEl = document.getElementById('type-counts');
  var total = 0;
  var perType = {};
  var restartTimer;

  function setState(state, detail) {
    stateEl.textContent = state;
    stateEl.dataset.state = state;
    document.body.dataset.connection = state;
    detailEl.textContent = detail || '';
  }

  function time(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
  }

  function describe(payload) {
    if (payload === null || typeof payload !== 'object') return String(payload);
    return Object.keys(payload).map(function (key) {
      var value = payload[key];
      return key + ': ' + (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
    }).join(' · ');
  }

  function add(kind, type, title, detail, timestamp) {
    var item = document.createElement('li');
    item.className = kind;
    item.dataset.type = type;
    var head = document.createElement('div');
    var badge = document.createElement('span');
    badge.className = 'type type-' + type.toLowerCase();
    badge.textContent = type;
    var titleEl = document.createElement('strong');
    titleEl.textContent = title;
    var when = document.createElement('time');
    when.dateTime = timestamp || '';
    when.textContent = time(timestamp);
    head.append(badge, ' ', titleEl, ' ', when);
    item.append(head);
    if (detail) {
      var detailEl = document.createElement('p');
      detailEl.className = 'payload';
      detailEl.textContent = detail;
      item.append(detailEl);
    }
    feedEl.prepend(item);
    while (feedEl.children.length > MAX_ITEMS) feedEl.lastElementChild.remove();
    emptyEl.hidden = true;
  }

  function countType(type) {
    perType[type] = (perType[type] || 0) + 1;
    typeCountsEl.replaceChildren.apply(typeCountsEl, Object.keys(perType).sort().map(function (name) {
      var li = document.createElement('li');
      li.textContent = name + ': ' + perType[name];
      return li;
    }));
  }

  var connection = new signalR.HubConnectionBuilder()
    .withUrl('/hubs/events')
    .withAutomaticReconnect({
      // Keep trying (0.5 s, 1 s, 2 s, then every 5 s) so the page follows a server restart.
      nextRetryDelayInMilliseconds: function (context) { return Math.min(500 * Math.pow(2, context.previousRetryCount), 5000); }
    })
    .configureLogging(signalR.LogLevel.Warning)
    .build();

  connection.on('Connected', function (message) {
    add('system', 'Connected', message && message.message ? message.message : 'Connected', '', message && message.timestamp);
  });

  connection.on('ReceiveEvent', function (event) {
    total += 1;
    countEl.textContent = String(total);
    countType(event.type);
    add('event', event.type, event.title, describe(event.payload), event.timestamp);
  });

  connection.onreconnecting(function (error) {
    setState('reconnecting', error ? 'connection lost, retrying…' : 'retrying…');
  });
  connection.onreconnected(function () {
    setState('connected', 'reconnected');
  });
  connection.onclose(function (error) {
    setState('disconnected', error ? String(error.message || error) : 'closed');
    scheduleStart();
  });

  function scheduleStart() {
    clearTimeout(restartTimer);
    restartTimer = setTimeout(start, 5000);
  }

  function start() {
    setState('connecting');
    connection.start().then(function () {
      setState('connected');
    }, function (error) {
      setState('disconnected', 'cannot connect (' + String(error && error.message || error) + '); retrying in 5 s');
      scheduleStart();
    });
  }

  window.hubwireDemo = { connection: connection };
  start();
})();
`;

/** The page's stylesheet. */
export const DEMO_CSS = `:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
h1 { margin: 0.5rem 0; }
h2 { font-size: 1rem; margin: 1rem 0 0.5rem; }
.muted { color: var(--muted); font-weight: normal; }
.status { margin: 0; }
.state { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 1rem; color: #fff; background: var(--muted); font-weight: 600; }
.state[data-state="connected"] { background: var(--ok); }
.state[data-state="reconnecting"], .state[data-state="connecting"] { background: var(--warn); }
.state[data-state="disconnected"] { background: var(--bad); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(14rem, 1fr); gap: 2rem; }
@media (max-width: 50rem) { main { grid-template-columns: 1fr; } }
#feed { list-style: none; padding: 0; margin: 0; }
#feed li { border-bottom: 1px solid rgba(127, 127, 127, 0.25); padding: 0.4rem 0; }
#feed time { color: var(--muted); font-size: 0.85em; margin-left: 0.3rem; }
.payload { margin: 0.2rem 0 0; font-family: ui-monospace, monospace; font-size: 0.85em; color: var(--muted); overflow-wrap: anywhere; }
.type { display: inline-block; font-size: 0.75em; font-weight: 600; padding: 0 0.45rem; border-radius: 0.3rem; background: rgba(127, 127, 127, 0.2); }
.type-neworder { background: #dafbe1; color: #116329; }
.type-stockupdate { background: #ddf4ff; color: #0550ae; }
.type-useractivity { background: #fbefff; color: #8250df; }
.type-systemlog { background: #fff8c5; color: #7d4e00; }
.type-notification { background: #ffebe9; color: #a40e26; }
.badge { font-size: 0.8em; padding: 0 0.5rem; border-radius: 1rem; background: rgba(127, 127, 127, 0.2); }
.counts { padding-left: 1.2rem; }
code { font-family: ui-monospace, monospace; }
`;

/**
 * The stylesheet of the rendered docs pages, inline in each page (allowed by its hash in the
 * page's CSP), so a docs page is one request and needs no built web app.
 * @module
 */
export const DOCS_CSS = `:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff; --muted: #59636e; --border: rgba(127,127,127,.3); --code: rgba(127,127,127,.12); --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --accent: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; overflow-wrap: break-word; }
a { color: var(--accent); }
header, main, footer { max-width: 56rem; margin: 0 auto; padding: 0 1.25rem; }
header { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; padding-top: .75rem; padding-bottom: .75rem; border-bottom: 1px solid var(--border); max-width: none; }
header a { font-weight: 600; text-decoration: none; }
footer { border-top: 1px solid var(--border); padding-top: .75rem; padding-bottom: 2rem; color: var(--muted); font-size: .9rem; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.6em 0 .6em; }
h1 { font-size: 1.9rem; } h2 { font-size: 1.4rem; border-bottom: 1px solid var(--border); padding-bottom: .2em; } h3 { font-size: 1.15rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
:not(pre) > code { background: var(--code); padding: .1em .35em; border-radius: .3em; }
pre { background: var(--code); border: 1px solid var(--border); border-radius: .45rem; padding: .8rem 1rem; overflow-x: auto; line-height: 1.45; overflow-wrap: normal; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: 1rem 0; }
th, td { border: 1px solid var(--border); padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--code); }
blockquote { margin: 1rem 0; padding: 0 1rem; border-left: .25rem solid var(--border); color: var(--muted); }
img { max-width: 100%; height: auto; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.doc-list { padding-left: 1.2rem; } .doc-list li { margin: .3rem 0; } .muted { color: var(--muted); }
`;

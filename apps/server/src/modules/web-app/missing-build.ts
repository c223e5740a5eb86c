/**
 * What `/` answers when the web app was not built (apps/web/dist has no index.html), e.g. a
 * server started with `npm run dev` on a fresh clone: how to build it, and what works anyway.
 * @module
 */

/** The page, listing `hubPaths` (which work without the web app). */
export function missingBuildPage(hubPaths: readonly string[], escape: (text: string) => string): string {
  const hubs = hubPaths.map((path) => `<li><code>${escape(path)}</code></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hubwire: the web app is not built</title>
</head>
<body>
<h1>The web app is not built</h1>
<p>This server serves the web app from <code>apps/web/dist</code>, which does not exist yet. Run <code>npm run build</code> (or <code>npm start</code>, which builds first) and reload.</p>
<p>The hubs and the REST API work without it:</p>
<ul>${hubs}</ul>
<p><a href="/docs/">Documentation</a> · <a href="/api/openapi.json">OpenAPI document</a></p>
</body>
</html>
`;
}

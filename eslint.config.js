// Lint: the recommended JavaScript and TypeScript rules, plus the layer boundaries of
// docs/architecture.md so that a wrong import fails CI instead of a review.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  layer(['packages/hubwire/src/core/**'], ['../*', '!../core/*'], 'core imports nothing else from the project.'),
  layer(['packages/hubwire/src/limits/**'], ['../*', '!../core/*', '!../limits/*'], 'limits are pure checks: they depend only on core.'),
  layer(['packages/hubwire/src/protocol/**'], ['**/hubs/*', '**/transports/*', '**/connections/*', '**/lifetime/*', '**/http/*'], 'protocol depends only on core.'),
  layer(['packages/hubwire/src/transports/**'], ['**/hubs/*', '**/lifetime/**', '**/protocol/**', '**/http/*'], 'transports move bytes and know no hub messages.'),
  layer(['packages/hubwire/src/lifetime/**'], ['**/hubs/*', '**/transports/*', '**/http/*', 'ws'], 'lifetime managers never see sockets or hubs.'),
  layer(['packages/hubwire/src/hubs/**'], ['**/http/*', '**/raw/*', '**/lifetime/memory/*', 'ws'], 'hubs use the lifetime interface, never an implementation or a socket (nor raw connections).'),
  layer(['packages/hubwire/src/connections/**'], ['**/hubs/*', '**/raw/*', '**/lifetime/**', '**/protocol/**', '**/http/*', 'ws'], 'connections are the seam under hubs and raw connections; they know neither, nor HTTP.'),
  layer(['packages/hubwire/src/raw/**'], ['**/hubs/*', '**/lifetime/**', '**/protocol/**', '**/http/*', 'ws'], 'raw connections carry bytes: no hub protocol, no sockets, no HTTP.'),
  {
    // A rule of its own (not no-restricted-imports, which each layer above sets and a later block
    // would replace): the Redis client may be swapped by editing lifetime/redis/ alone.
    files: ['packages/hubwire/src/**'],
    ignores: ['packages/hubwire/src/lifetime/redis/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['redis', 'ioredis'].map((name) => ({ name, message: 'only lifetime/redis/ imports a Redis client.' })),
          patterns: [{ group: ['@redis/*'], message: 'only lifetime/redis/ imports a Redis client.' }],
        },
      ],
    },
  },
  layer(['apps/**/src/**'], ['hubwire/*', '**/packages/hubwire/**'], 'the server app uses only the public API of hubwire.'),
  {
    // The web app: React's rules of hooks, and it reaches the server only over HTTP and hubs (the
    // patterns of the block above are repeated: a later no-restricted-imports replaces it).
    files: ['apps/web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['hubwire', 'hubwire/*', '**/packages/hubwire/**'], message: 'the web app runs in the browser: no server library.' },
            { group: ['**/apps/server/**', '**/server/src/**'], message: 'the web app talks to the server over HTTP and hubs; hub types are copied in src/hubs/contracts.ts and checked by test/web/contracts.typecheck.ts.' },
          ],
        },
      ],
    },
  },
);

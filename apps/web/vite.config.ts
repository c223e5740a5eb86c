/**
 * Build and dev server of the web app. `@hubwire/client` (a workspace package) is taken from its
 * TypeScript source through the "hubwire-source" export condition, so neither `vite build` nor
 * `vite` (dev) needs the client built first. In dev, API, hub and docs requests go to a server
 * started with `npm run dev` at the root (port 5000, or HUBWIRE_URL).
 */
import react from '@vitejs/plugin-react';
import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const server = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['HUBWIRE_URL'] ?? 'http://127.0.0.1:5000';

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['hubwire-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The gzipped size is what a visitor downloads; the report shows it per chunk.
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': server,
      '/docs': server,
      '/hubs': { target: server, ws: true },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./vitest.setup.ts'],
    restoreMocks: true,
  },
});

import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import solid from 'vite-plugin-solid';

// The PWA's build. The root vite.config.ts delegates here.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [
    solid(),
    VitePWA({
      // Registered by src/service-worker-registration.ts (workbox-window), with an update prompt.
      injectRegister: false,
      registerType: 'prompt',
      strategies: 'generateSW',
      includeAssets: ['icons/apple-touch-icon.png'],
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // Every client-side view loads index.html, offline too; the API and relay never do.
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/sync\//, /^\/healthz/, /^\/readyz/],
        cleanupOutdatedCaches: true,
      },
      manifest: {
        name: 'Tasks — plan, track, review',
        short_name: 'Tasks',
        description: 'Local-first tasks, calendar and time tracking that works offline.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f8fafc',
        theme_color: '#2563eb',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: '/icons/maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
    }),
  ],
  resolve: {
    // Workspace packages are read from their TypeScript sources (the `source` export condition).
    conditions: ['source', 'module', 'browser', 'development|production'],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/sync': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});

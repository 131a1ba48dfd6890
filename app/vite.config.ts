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
      // Our own worker (sw/sw.ts, built to /sw.js as the generated one was): the precache
      // manifest is injected into it, and it adds Web Push (the reminder notification and its
      // Done / Snooze buttons).
      strategies: 'injectManifest',
      srcDir: 'sw',
      filename: 'sw.ts',
      includeAssets: ['icons/apple-touch-icon.png'],
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // A classic script, as workbox-window registers it.
        rollupFormat: 'iife',
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

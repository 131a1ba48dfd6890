import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// The PWA's build. The root vite.config.ts delegates here.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid()],
  resolve: {
    // Workspace packages are read from their TypeScript sources (the `source` export condition).
    conditions: ['source', 'module', 'browser', 'development|production'],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1' },
  test: undefined,
});

import { defineConfig } from 'vitest/config';

// Unit tests of the app's plain TypeScript modules (no DOM). Workspace packages are read from
// their TypeScript sources (the `source` export condition), as the Vite build does.
export default defineConfig({
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});

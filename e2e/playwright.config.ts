import { defineConfig } from '@playwright/test';

export const E2E_PORT = Number(process.env.E2E_PORT ?? 18_477);

/**
 * The whole system in Debian's Chromium: the real server (built `sync-server`, serving the built
 * PWA) is started by global-setup on 127.0.0.1, on PGlite or on a throwaway PostgreSQL database
 * when DATABASE_URL is set.
 */
export default defineConfig({
  testDir: './src',
  testMatch: '**/*.test.ts',
  timeout: 60_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  globalSetup: './src/global-setup.ts',
  outputDir: './test-results/output',
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    // Never the machine's zone: UTC, or the zone the clock matrix (scripts/clock) is trying.
    timezoneId: process.env.E2E_TIMEZONE ?? 'UTC',
    serviceWorkers: 'allow',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});

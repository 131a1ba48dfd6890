import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensureRadicaleInstalled,
  type RadicaleServer,
  startFakeGoogleCalendar,
  startFakeOAuthServer,
  startRadicale,
} from '@tasks/connectors';
import { E2E_PORT } from '../playwright.config.js';
import { FAKE_GOOGLE_TOKEN } from './fake-google.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'sync-server/dist/main.js');

async function psql(url: string, sql: string): Promise<void> {
  const { default: postgres } = await import('postgres');
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client.unsafe(sql);
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Starts the real server for the browser tests; returns the teardown. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(MAIN) || !existsSync(path.join(ROOT, 'app/dist/index.html'))) {
    throw new Error('build first: `pnpm build` at the repository root (server and app)');
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-e2e-'));
  // Google, as far as the server can tell: an OAuth server whose consent page answers at once,
  // and a Calendar API accepting the tokens it issues (plus a fixed one the tests read with).
  const oauth = await startFakeOAuthServer();
  const google = await startFakeGoogleCalendar({
    token: FAKE_GOOGLE_TOKEN,
    acceptToken: (token) => oauth.isAccessTokenValid(token),
  });
  process.env.E2E_FAKE_GOOGLE_URL = google.url;
  process.env.E2E_FAKE_GOOGLE_CALENDAR = google.calendarId;
  // A real CalDAV server (Debian's Radicale, any user name and password accepted), stopped by
  // pid in the teardown. Where it cannot be installed the CalDAV test skips itself, except under
  // REQUIRE_SERVICES=1 (CI), where ensureRadicaleInstalled throws and the run fails here.
  let radicale: RadicaleServer | null = null;
  if (await ensureRadicaleInstalled()) {
    radicale = await startRadicale();
    process.env.E2E_RADICALE_URL = radicale.url;
  }
  const env: Record<string, string> = {
    PORT: String(E2E_PORT),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    AUTH_REGISTER_PER_MINUTE: '1000',
    REGISTRATION: 'open',
    AUTH_LOGIN_PER_MINUTE: '1000',
    AUTH_LOGIN_PER_ACCOUNT_PER_MINUTE: '1000',
    GOOGLE_CLIENT_ID: oauth.clientId,
    GOOGLE_CLIENT_SECRET: oauth.clientSecret ?? '',
    GOOGLE_AUTH_URL: oauth.authorizationUrl,
    GOOGLE_TOKEN_URL: oauth.tokenUrl,
    GOOGLE_API_URL: google.url,
    PUBLIC_URL: `http://127.0.0.1:${E2E_PORT}`,
    // The test's Radicale runs on 127.0.0.1.
    CALDAV_ALLOW_PRIVATE_NETWORKS: 'true',
    // So does the push-service stand-in of push-notifications.test.ts.
    PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
  };
  let dropDatabase = async () => {};
  const baseUrl = process.env.DATABASE_URL;
  if (baseUrl) {
    const name = `e2e_${randomUUID().replaceAll('-', '')}`;
    await psql(baseUrl, `create database ${name}`);
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    dropDatabase = () => psql(baseUrl, `drop database if exists ${name} with (force)`);
  }
  // One process: CI's REDIS_URL (for the cluster tests) is not this server's.
  const { DATABASE_URL: _inherited, REDIS_URL: _redis, ...inherited } = process.env;
  const server: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const teardown = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await dropDatabase();
    await google.close();
    await oauth.close();
    await radicale?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(server);
    await registerAdmin();
  } catch (error) {
    // Nothing started here may outlive a failed setup (Radicale is a separate process).
    await teardown();
    throw error;
  }
  return teardown;
}

/** The server's first account is its admin: registered here, before any test, for admin.test.ts. */
async function registerAdmin(): Promise<void> {
  const admin = {
    email: 'e2e-admin@example.com',
    username: 'e2e_admin',
    password: 'admin horse battery',
  };
  const response = await fetch(`http://127.0.0.1:${E2E_PORT}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  if (response.status !== 201) throw new Error(`the admin could not register: ${response.status}`);
  process.env.E2E_ADMIN_EMAIL = admin.email;
  process.env.E2E_ADMIN_PASSWORD = admin.password;
}

async function waitUntilReady(server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${E2E_PORT}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the server did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

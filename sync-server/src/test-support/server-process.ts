import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase } from '../db/postgres-database.js';

/** The built server as users run it: `node dist/main.js`, a process a test can kill -9. */
export const SERVER_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
export const PROCESS_AUTH_SECRET = 'crash-test-secret-crash-test-secret-0123';

export function assertServerBuilt(): void {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${SERVER_MAIN} is missing: build sync-server first (pnpm build)`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts `node dist/main.js`; the child gets a database only from `env` (PGlite without one),
 * and Redis too (none: a single process, whatever REDIS_URL CI sets for the cluster tests).
 */
export function startServerProcess(env: Record<string, string>): ChildProcess {
  const { DATABASE_URL: _inherited, REDIS_URL: _redis, ...inherited } = process.env;
  return spawn(process.execPath, [SERVER_MAIN], {
    env: {
      ...inherited,
      LOG_LEVEL: 'warn',
      AUTH_SECRET: PROCESS_AUTH_SECRET,
      REGISTRATION: 'open',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export async function killNow(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).ok;
  } catch {
    return false;
  }
}

/** A fresh PostgreSQL database on the test server; `drop` removes it. */
export async function createScratchDatabase(
  url: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  const admin = createPostgresDatabase({ url, max: 1 });
  await admin.exec(`create database ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    async drop() {
      await admin.exec(`drop database if exists ${name} with (force)`);
      await admin.close();
    },
  };
}

export async function registerUser(
  url: string,
  name: string,
): Promise<{ userId: string; token: string }> {
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `${name}@example.com`,
      username: name,
      password: 'correct horse battery',
    }),
  });
  if (response.status !== 201) throw new Error(`register ${name}: ${response.status}`);
  const body = (await response.json()) as { id: string; access_token: string };
  return { userId: body.id, token: body.access_token };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../db/postgres-database.js';
import { type DatabaseKind, testDatabaseKinds, testDatabaseUrl } from '../db/test-databases.js';

/**
 * Exactly once across a crash: a server process claims a due reminder and is killed with
 * SIGKILL before sending it (the child stops right after the claim); a new process on the same
 * database takes the job once the claim's lease is over and sends it, once: one email reaches a
 * real SMTP server and the inbox holds one notification.
 */

const CHILD = fileURLToPath(new URL('./reminder-crash-child.ts', import.meta.url));
const SECRET = 'crash-test-secret-crash-test-secret-0123';
/** The scheduler's default lease of a claim. */
const LEASE_MS = 120_000;

function freePort(): Promise<number> {
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

async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  ms = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Child {
  process: ChildProcess;
  output: string[];
}

function startChild(env: Record<string, string>): Child {
  // Its database and Redis (none: one process) only from `env`, never CI's environment.
  const { DATABASE_URL: _inherited, REDIS_URL: _redis, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...inherited, LOG_LEVEL: 'warn', AUTH_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const output: string[] = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
  return { process: child, output };
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

describe.each(testDatabaseKinds())('reminders across a crash on %s', (kind: DatabaseKind) => {
  let env: Record<string, string>;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | null = null;
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail.subject ?? '');
          callback();
        })
        .catch(callback);
    },
  });
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as { port: number }).port;
    dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-reminder-crash-'));
    env = {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    };
    if (kind === 'postgres') {
      const url = testDatabaseUrl() as string;
      const name = `reminder_crash_${randomUUID().replaceAll('-', '')}`;
      const admin = createPostgresDatabase({ url, max: 1 });
      await admin.exec(`create database ${name}`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      env.DATABASE_URL = target.toString();
      dropDatabase = async () => {
        await admin.exec(`drop database if exists ${name} with (force)`);
        await admin.close();
      };
    }
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await dropDatabase?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sends a reminder claimed by a server killed before sending once, after the restart', async () => {
    // The first server's clock: the reminder falls due 25 seconds after it starts.
    const start = Date.parse('2027-03-10T08:00:00Z');
    const fireAt = new Date(start + 25_000).toISOString();
    const first = startChild({
      ...env,
      CLOCK_AT: new Date(start).toISOString(),
      HANG_AFTER_CLAIM: '1',
    });
    children.push(first.process);
    const ready = await until('the first server', () =>
      first.output.find((l) => l.startsWith('ready ')),
    );
    const url = ready.slice('ready '.length);
    const api = async (token: string | null, method: string, route: string, body?: unknown) => {
      const response = await fetch(`${url}/api/v1${route}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as never };
    };
    const registered = await api(null, 'POST', '/auth/register', {
      email: `crash-${kind}@example.com`,
      username: `crash_${kind}`,
      password: 'correct horse battery',
    });
    expect(registered.status).toBe(201);
    const token = (registered.body as { access_token: string }).access_token;
    expect((await api(token, 'PATCH', '/settings', { notify_email: true })).status).toBe(200);
    const created = await api(token, 'POST', '/tasks', {
      title: 'Call the landlord',
      due_date: fireAt,
      reminders: [{ minutes_before: 0 }],
    });
    expect(created.status).toBe(201);

    const claimed = await until('the claim', () =>
      first.output.find((l) => l.startsWith('claimed ')),
    );
    first.process.kill('SIGKILL');
    await exited(first.process);
    expect(mails).toEqual([]);

    // The next server starts after the claim's lease is over.
    const second = startChild({
      ...env,
      CLOCK_AT: new Date(Date.parse(fireAt) + LEASE_MS + 1000).toISOString(),
    });
    children.push(second.process);
    await until('the second server', () => second.output.some((l) => l.startsWith('ready ')));
    await until('the email', () => mails.length > 0);
    // A few more polls send nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(mails).toEqual(['Reminder: Call the landlord']);
    const inbox = await api(token, 'GET', '/notifications');
    expect(inbox.status).toBe(200);
    const items = (inbox.body as { items: { id: string; kind: string }[] }).items;
    expect(items.filter((item) => item.kind === 'reminder').map((item) => item.id)).toEqual([
      claimed.slice('claimed '.length),
    ]);
    second.process.kill('SIGTERM');
    await exited(second.process);
  }, 180_000);
});

import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { errorResponse } from '../http/http-error.js';
import { createLogger } from '../logger.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { requestLog } from './request-log.js';

const PASSWORD = 'correct horse battery staple';
const WRONG_PASSWORD = 'wrong horse battery staple';
const QUERY_SECRET = 'query-secret-7f3a';
const UNKNOWN_TASK = '01890000-0000-7000-8000-000000000000';

interface LogLine {
  level: string;
  msg: string;
  time: string;
  requestId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
  userId?: string;
}

describe.each(testDatabaseKinds())('the request log on %s', (kind) => {
  let ts: TestServer;
  const lines: string[] = [];
  const output = () => lines.join('');
  const requestLines = () =>
    lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.msg === 'request');

  beforeAll(async () => {
    ts = await startTestServer(kind, {
      log: createLogger('debug', { destination: { write: (line) => lines.push(line) } }),
    });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  /** A request, with how long the client waited for its answer. */
  async function send(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; requestId?: string } = {},
  ) {
    const started = performance.now();
    const response = await fetch(`${ts.url}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.requestId === undefined ? {} : { 'x-request-id': options.requestId }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      requestId: response.headers.get('x-request-id'),
      body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      elapsedMs: performance.now() - started,
    };
  }

  it('logs one line per request with its route pattern, status, duration and user, and no secret', async () => {
    lines.length = 0;
    const registered = await send('POST', '/api/v1/auth/register', {
      body: { email: 'logged@example.com', username: 'logged', password: PASSWORD },
    });
    expect(registered.status).toBe(201);
    const token = String(registered.body?.access_token);
    const refreshToken = String(registered.body?.refresh_token);
    const userId = String(registered.body?.id);
    const failedLogin = await send('POST', '/api/v1/auth/login', {
      body: { email: 'logged@example.com', password: WRONG_PASSWORD },
    });
    const login = await send('POST', '/api/v1/auth/login', {
      body: { email: 'logged@example.com', password: PASSWORD },
    });
    const refreshed = await send('POST', '/api/v1/auth/refresh', {
      body: { refresh_token: refreshToken },
    });
    const created = await send('POST', '/api/v1/tasks', { token, body: { title: 'Logged task' } });
    const taskId = String(created.body?.id);
    const read = await send('GET', `/api/v1/tasks/${taskId}?token=${QUERY_SECRET}`, { token });
    const missing = await send('GET', `/api/v1/tasks/${UNKNOWN_TASK}`, { token });
    const anonymous = await send('GET', '/api/v1/tasks');
    const replies = [registered, failedLogin, login, refreshed, created, read, missing, anonymous];
    expect(replies.map((reply) => reply.status)).toEqual([201, 401, 200, 200, 201, 200, 404, 401]);

    const logged = requestLines();
    expect(logged.map((line) => [line.method, line.route, line.status])).toEqual([
      ['POST', '/api/v1/auth/register', 201],
      ['POST', '/api/v1/auth/login', 401],
      ['POST', '/api/v1/auth/login', 200],
      ['POST', '/api/v1/auth/refresh', 200],
      ['POST', '/api/v1/tasks', 201],
      ['GET', '/api/v1/tasks/:id', 200],
      ['GET', '/api/v1/tasks/:id', 404],
      ['GET', '/api/v1/tasks/*', 401],
    ]);
    logged.forEach((line, index) => {
      expect(line.level).toBe('info');
      expect(line.requestId).toBe(replies[index]?.requestId);
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(line.durationMs).toBeLessThanOrEqual(replies[index]?.elapsedMs ?? 0);
    });
    // The user is named only where a token was checked.
    expect(logged.map((line) => line.userId ?? null)).toEqual([
      null,
      null,
      null,
      null,
      userId,
      userId,
      userId,
      null,
    ]);
    const secrets = [
      PASSWORD,
      WRONG_PASSWORD,
      token,
      refreshToken,
      String(login.body?.access_token),
      String(login.body?.refresh_token),
      String(refreshed.body?.access_token),
      String(refreshed.body?.refresh_token),
      QUERY_SECRET,
      taskId,
    ];
    for (const secret of secrets) expect(output()).not.toContain(secret);
  });

  it('returns a safe X-Request-Id as it came and replaces a malformed one', async () => {
    lines.length = 0;
    const kept = await send('GET', '/healthz', { requestId: 'edge-7f3a.2_B-x' });
    expect(kept.requestId).toBe('edge-7f3a.2_B-x');
    const tooLong = 'a'.repeat(65);
    const replaced = [
      await send('GET', '/healthz', { requestId: 'has space' }),
      await send('GET', '/healthz', { requestId: 'semi;colon' }),
      await send('GET', '/healthz', { requestId: tooLong }),
      await send('GET', '/healthz', { requestId: '' }),
      await send('GET', '/healthz'),
    ];
    const ids = replaced.map((reply) => reply.requestId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(output()).not.toContain(tooLong);
    expect(output()).not.toContain('semi;colon');
    // Probes are logged at debug, with the id the response carried.
    expect(requestLines().map((line) => [line.level, line.route, line.requestId])).toEqual(
      [kept, ...replaced].map((reply) => ['debug', '/healthz', reply.requestId]),
    );
  });
});

describe('requestLog on a bare app', () => {
  it('counts a failed handler once, with its status, and its error line carries the request id', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', {
      destination: { write: (line) => lines.push(JSON.parse(line)) },
    });
    let ms = 1000;
    const app = new Hono();
    app.onError((error, c) => errorResponse(error, c, log));
    app.use('*', requestLog({ log, now: () => ms, newId: () => 'generated-1' }));
    app.get('/boom/:id', () => {
      ms += 12.34;
      throw new Error('kaboom');
    });
    const response = await app.request('/boom/42?token=abc');
    expect(response.status).toBe(500);
    expect(response.headers.get('X-Request-Id')).toBe('generated-1');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'unhandled error',
        route: '/boom/:id',
        requestId: 'generated-1',
      }),
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        method: 'GET',
        route: '/boom/:id',
        status: 500,
        durationMs: 12.3,
        requestId: 'generated-1',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('abc');
  });
});

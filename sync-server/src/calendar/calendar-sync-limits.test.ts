import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import {
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  type RadicaleServer,
  startRadicale,
} from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';

/**
 * A hostile CalDAV server cannot hold the sync workers: its answers are cut at the byte cap and
 * each sync at the deadline (CALENDAR_SYNC_DEADLINE_MS, short here), its user's syncs run one at
 * a time, and another user's sync against a real Radicale completes meanwhile.
 */

interface Connection {
  id: string;
  sync_status: 'PENDING' | 'SUCCESS' | 'FAILED';
  sync_error: string | null;
  last_sync_at: string | null;
}

interface Job {
  id: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  error: string | null;
  run_after: string;
  started_at: string | null;
}

const DEADLINE_MS = 4000;
const CAP = 32 * 1024 * 1024;

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 20_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Mode = 'pass' | 'stream' | 'trickle';

/** What the stand-in saw of one hostile answer. */
interface HostileAnswer {
  method: string;
  path: string;
  openedAt: number;
  closedAt: number | null;
  bytes: number;
}

/**
 * A CalDAV stand-in on 127.0.0.1: in `pass` mode a proxy to Radicale (so the connection can be
 * made and synced once); then it turns hostile, answering every request with a 207 that
 * streams bytes as fast as it can (`stream`) or a byte every 50 ms (`trickle`), never ending.
 */
async function startHostileStandIn(upstream: string) {
  let mode: Mode = 'pass';
  const answers: HostileAnswer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const hostile = (
    request: { method?: string | undefined; url?: string | undefined },
    response: ServerResponse,
  ) => {
    const answer: HostileAnswer = {
      method: request.method ?? '',
      path: request.url ?? '',
      openedAt: Date.now(),
      closedAt: null,
      bytes: 0,
    };
    answers.push(answer);
    response.on('close', () => {
      answer.closedAt = Date.now();
    });
    response.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' });
    if (mode === 'stream') {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (answer.closedAt === null) {
          answer.bytes += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
      };
      response.write('<?xml version="1.0"?><multistatus xmlns="DAV:">');
      pump();
    } else {
      const timer = setInterval(() => {
        if (answer.closedAt !== null) return clearInterval(timer);
        response.write(' ');
        answer.bytes += 1;
      }, 50);
      timers.add(timer);
    }
  };
  const server: Server = createServer((request, response) => {
    if (mode !== 'pass') {
      request.resume();
      hostile(request, response);
      return;
    }
    const forward = httpRequest(
      new URL(request.url ?? '/', upstream),
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    answers,
    setMode(next: Mode) {
      mode = next;
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.each(testDatabaseKinds())('calendar sync limits on %s', (kind) => {
  let ts: TestServer;
  let radicale: RadicaleServer;
  let standIn: Awaited<ReturnType<typeof startHostileStandIn>>;

  beforeAll(async () => {
    if (!(await ensureRadicaleInstalled())) {
      throw new Error('Radicale is not installed (see connectors/scripts)');
    }
    radicale = await startRadicale();
    standIn = await startHostileStandIn(radicale.url);
    ts = await startTestServer(kind, {
      config: {
        CALENDAR_SYNC_DEADLINE_MS: String(DEADLINE_MS),
        CALENDAR_SYNC_CONCURRENCY: '2',
        // The test polls the job states often; the per-user limit has tests of its own.
        API_REQUESTS_PER_MINUTE: '100000',
      },
      calendar: { workerPollMs: 50, changeDelayMs: 200 },
    });
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
    await standIn?.close();
    await radicale?.close();
  });

  async function read<T>(user: TestUser, path: string): Promise<T> {
    const reply = await callApi<T>(ts, user, 'GET', path);
    if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status}`);
    return reply.body;
  }
  const connectionOf = (user: TestUser, id: string) =>
    read<Connection>(user, `/calendar/connections/${id}`);
  const jobOf = (user: TestUser, id: string) => read<Job>(user, `/calendar/sync/jobs/${id}`);
  const syncNow = async (user: TestUser, connectionId: string) => {
    const reply = await callApi<{ job_id: string }>(
      ts,
      user,
      'POST',
      `/calendar/sync/${connectionId}`,
    );
    expect(reply.status).toBe(202);
    return reply.body.job_id;
  };
  const synced = (user: TestUser, id: string) =>
    until(`connection ${id} to sync`, async () => {
      const connection = await connectionOf(user, id);
      if (connection.sync_status === 'FAILED') {
        throw new Error(`sync failed: ${connection.sync_error}`);
      }
      return connection.sync_status === 'SUCCESS' && connection.last_sync_at !== null && connection;
    });

  async function connect(user: TestUser, serverUrl: string, calendar: string) {
    await ensureCaldavCalendar({
      serverUrl: radicale.url,
      username: 'alice',
      password: 'wonderland',
      calendarPath: calendar,
    });
    const reply = await callApi<Connection>(ts, user, 'POST', '/calendar/connect', {
      provider: 'ICAL',
      server_url: serverUrl,
      username: 'alice',
      password: 'wonderland',
      calendar_id: calendar,
    });
    expect(reply.status).toBe(201);
    return reply.body;
  }

  it("cuts a hostile server's answers at the byte cap and its syncs at the deadline, while another user's sync completes", async () => {
    const mallory = await ts.register('mallory');
    const bob = await ts.register('bob');
    // Mallory's two calendars sync once while the stand-in still behaves.
    const first = await connect(mallory, standIn.url, `/alice/${kind}-hostile-1/`);
    const second = await connect(mallory, standIn.url, `/alice/${kind}-hostile-2/`);
    const before = [await synced(mallory, first.id), await synced(mallory, second.id)];

    // It streams without end: the answer is cut at 32 MiB, well before the deadline.
    standIn.setMode('stream');
    const capped = await syncNow(mallory, first.id);
    const cappedJob = await until('the capped sync to fail', async () => {
      const job = await jobOf(mallory, capped);
      return job.error !== null && job;
    });
    expect(cappedJob.error).toContain(`larger than ${CAP} bytes`);
    expect(cappedJob).toMatchObject({ state: 'queued', attempts: 1 });
    const streamed = standIn.answers.filter((answer) => answer.bytes > 1000);
    expect(streamed.length).toBeGreaterThan(0);
    // What the server wrote beyond the cap sat in socket buffers when the client stopped.
    for (const answer of streamed) expect(answer.bytes).toBeLessThan(CAP + 8 * 1024 * 1024);

    // It answers a byte at a time, never finishing: only the deadline ends the sync.
    standIn.setMode('trickle');
    const trickled = standIn.answers.length;
    const slowJobs = [await syncNow(mallory, first.id), await syncNow(mallory, second.id)];
    const running = await until("one of Mallory's syncs to start", async () => {
      const jobs = await Promise.all(slowJobs.map((id) => jobOf(mallory, id)));
      return jobs.find((job) => job.state === 'running');
    });
    const cutAt = Date.parse(running.started_at ?? '') + DEADLINE_MS;

    // Bob's calendar is on the real Radicale: his sync runs on the other worker and completes.
    const bobs = await connect(bob, radicale.url, `/alice/${kind}-bob/`);
    await synced(bob, bobs.id);
    expect(Date.now()).toBeLessThan(cutAt);
    // Meanwhile Mallory's other calendar waits for her running one: one worker per user.
    const jobsNow = await Promise.all(slowJobs.map((id) => jobOf(mallory, id)));
    expect(jobsNow.map((job) => job.state).sort()).toEqual(['queued', 'running']);

    const cut = await until(
      "Mallory's slow sync to be cut",
      async () => {
        const job = await jobOf(mallory, running.id);
        return job.state !== 'running' && job;
      },
      DEADLINE_MS + 10_000,
    );
    expect(cut).toMatchObject({
      state: 'queued',
      error: `the calendar server was too slow: the sync did not finish within ${DEADLINE_MS / 1000} s and was stopped, with nothing of it saved`,
    });
    // Retried later (the backoff), not at once.
    expect(Date.parse(cut.run_after)).toBeGreaterThan(Date.now());
    // The hostile request was aborted by the deadline, not left open.
    const slowAnswer = standIn.answers[trickled];
    expect(slowAnswer?.method).toBe('REPORT');
    await until('the trickling request to be closed', async () => slowAnswer?.closedAt);
    expect((slowAnswer?.closedAt ?? 0) - (slowAnswer?.openedAt ?? 0)).toBeLessThan(
      DEADLINE_MS + 2000,
    );
    // Nothing of the cut syncs was saved: their last sync is still the one before.
    expect((await connectionOf(mallory, first.id)).last_sync_at).toBe(before[0]?.last_sync_at);
    // Once the first is cut, Mallory's other calendar gets its turn (and is cut too).
    const other = slowJobs.find((id) => id !== running.id) ?? '';
    await until(
      "Mallory's other sync to run and be cut",
      async () => (await jobOf(mallory, other)).error !== null,
      DEADLINE_MS + 10_000,
    );
    expect((await connectionOf(mallory, second.id)).last_sync_at).toBe(before[1]?.last_sync_at);
    expect((await connectionOf(bob, bobs.id)).sync_status).toBe('SUCCESS');
  }, 90_000);
});

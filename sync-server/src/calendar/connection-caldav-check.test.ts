import {
  createGuardedFetch,
  ensureRadicaleInstalled,
  type RadicaleServer,
  startRadicale,
} from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../http/http-error.js';
import { createCaldavCheck } from './connection-caldav-check.js';

const hasRadicale = await ensureRadicaleInstalled();

describe.runIf(hasRadicale)('checking a CalDAV server a user wants to connect', () => {
  let radicale: RadicaleServer;
  beforeAll(async () => {
    radicale = await startRadicale({ users: { alice: 'secret' } });
  }, 30_000);
  afterAll(async () => {
    await radicale?.close();
  });

  const target = () => ({
    serverUrl: radicale.url,
    username: 'alice',
    password: 'secret',
    calendarPath: '/alice/missing/',
  });

  it('refuses a server on this machine unless private networks are allowed (SSRF)', async () => {
    const guarded = createCaldavCheck(createGuardedFetch({ allowedPorts: 'any' }));
    const refusal = await guarded(target()).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(HttpError);
    expect(refusal).toMatchObject({
      status: 422,
      code: 'caldav_private_address',
      fields: [
        { field: 'server_url', message: expect.stringContaining('CALDAV_ALLOW_PRIVATE_NETWORKS') },
      ],
    });
    // Allowed, the same server is reached (and answers that the calendar is missing).
    const open = createCaldavCheck(globalThis.fetch);
    expect(await open(target()).catch((error: unknown) => error)).toMatchObject({
      code: 'caldav_calendar_not_found',
    });
  });

  it('refuses a server on a port other than the usual web ones, naming the variable to change', async () => {
    const usualPorts = createCaldavCheck(createGuardedFetch({ isAllowed: () => true }));
    const refusal = await usualPorts(target()).catch((error: unknown) => error);
    expect(refusal).toMatchObject({
      status: 422,
      code: 'caldav_port_not_allowed',
      fields: [{ field: 'server_url', message: expect.stringContaining('CALDAV_ALLOWED_PORTS') }],
    });
  });
});

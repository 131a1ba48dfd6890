import { afterEach, describe, expect, it } from 'vitest';
import type { CalendarProvider } from './calendar-provider.js';
import { createGoogleCalendarProvider } from './google/google-calendar-provider.js';
import { createGraphCalendarProvider } from './microsoft/graph-calendar-provider.js';
import { type SilentStandIn, startSilentStandIn } from './silent-stand-in.js';

/**
 * A sync's wall-clock deadline aborts the Google and Microsoft Graph adapters' requests in
 * flight, not only the sync around them: against a stand-in that takes the request and never
 * answers, the call ends when the signal aborts, with the signal's reason, and the connection
 * to the stand-in is closed. A backoff between retries ends at the deadline too.
 */

class DeadlineReached extends Error {}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const adapters: [string, (url: string, signal: AbortSignal) => CalendarProvider][] = [
  [
    'Google',
    (url, signal) =>
      createGoogleCalendarProvider({
        rootUrl: `${url}/`,
        accessToken: async () => 'token',
        calendarId: 'primary',
        // Far beyond the test: only the signal can end the request.
        timeoutMs: 120_000,
        retry: { maxDelayMs: 60_000 },
        signal,
      }),
  ],
  [
    'Microsoft Graph',
    (url, signal) =>
      createGraphCalendarProvider({
        baseUrl: url,
        accessToken: async () => 'token',
        calendarId: 'calendar',
        window: () => ({
          start: new Date('2026-01-01T00:00:00Z'),
          end: new Date('2026-12-31T00:00:00Z'),
        }),
        signal,
      }),
  ],
];

describe.each(adapters)('the %s adapter at the sync deadline', (_name, create) => {
  let standIn: SilentStandIn | null = null;
  afterEach(async () => {
    await standIn?.close();
    standIn = null;
  });

  it('aborts the request in flight with the deadline error and closes its connection', async () => {
    const stand = await startSilentStandIn();
    standIn = stand;
    const controller = new AbortController();
    const provider = create(stand.url, controller.signal);
    const pull = provider.pullChanges(null);
    const settled = pull.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await until('the request', () => stand.requests.length === 1);
    const reason = new DeadlineReached('the sync did not finish in time');
    const abortedAt = performance.now();
    controller.abort(reason);

    expect(await settled).toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    await until('the connection to close', () => stand.sockets.every((entry) => entry.closed));
    // Nothing was tried again after the deadline.
    expect(stand.requests).toHaveLength(1);
  });

  it('ends a backoff between retries at the deadline, without another attempt', async () => {
    const stand = await startSilentStandIn(1);
    standIn = stand;
    const controller = new AbortController();
    const provider = create(stand.url, controller.signal);
    const settled = provider.pullChanges(null).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await until('the refused request', () => stand.requests.length === 1);
    // The adapter now waits out Retry-After (20 s) before trying again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reason = new DeadlineReached('the sync did not finish in time');
    controller.abort(reason);
    expect(await settled).toBe(reason);
    expect(stand.requests).toHaveLength(1);
  });

  it('makes no request once the deadline has passed', async () => {
    const stand = await startSilentStandIn();
    standIn = stand;
    const reason = new DeadlineReached('the sync did not finish in time');
    const provider = create(stand.url, AbortSignal.abort(reason));
    await expect(provider.getEvent('event-1')).rejects.toBe(reason);
    expect(stand.requests).toHaveLength(0);
  });
});

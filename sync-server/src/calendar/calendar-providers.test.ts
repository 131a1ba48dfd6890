import { type SilentStandIn, startSilentStandIn } from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { createProviderFactory } from './calendar-providers.js';
import type { CalendarConnection } from './connection-store.js';
import { loadCalendarConfig } from './oauth-config.js';
import { SyncDeadlineError } from './sync-jobs-worker.js';

/**
 * The sync's deadline reaches the Google and Microsoft adapters the factory builds: against an
 * API stand-in that never answers, the sync's call ends at the deadline with the deadline's
 * error, and the connection to the stand-in is closed (CalDAV has its own limits test).
 */
describe('calendar providers built for a sync', () => {
  let standIn: SilentStandIn;
  beforeAll(async () => {
    standIn = await startSilentStandIn();
  });
  afterAll(async () => {
    await standIn?.close();
  });

  const connection = (provider: 'GOOGLE' | 'MICROSOFT'): CalendarConnection => ({
    id: `connection-${provider}`,
    userId: 'user-1',
    provider,
    providerAccountId: null,
    calendarId: 'primary',
    serverUrl: null,
    username: null,
    syncEnabled: true,
    syncDeleteEnabled: false,
    syncStatus: 'SUCCESS',
    syncError: null,
    lastSyncAt: null,
    tokenExpiresAt: null,
    cursor: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
  });

  it.each(['GOOGLE', 'MICROSOFT'] as const)(
    'ends a %s request in flight at the sync deadline and closes its connection',
    async (provider) => {
      const factory = createProviderFactory({
        config: loadCalendarConfig({
          GOOGLE_API_URL: `${standIn.url}/`,
          MICROSOFT_GRAPH_URL: standIn.url,
        }),
        connections: {
          accessTokenFor: async () => 'access-token',
          caldavCredentialsFor: () => Promise.reject(new Error('not a CalDAV connection')),
        },
        log: silentLogger,
        window: () => ({
          start: new Date('2026-01-01T00:00:00Z'),
          end: new Date('2026-12-31T00:00:00Z'),
        }),
      });
      const controller = new AbortController();
      const built = await factory(connection(provider), {
        timezone: 'UTC',
        signal: controller.signal,
      });
      const requestsBefore = standIn.requests.length;
      const settled = built.provider.pullChanges(null).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      while (standIn.requests.length === requestsBefore) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const deadline = new SyncDeadlineError(4000);
      controller.abort(deadline);
      const error = await settled;
      expect(error).toBe(deadline);
      expect(String(error)).toMatch(/too slow: the sync did not finish within/);
      const deadlineAt = Date.now();
      // The call ends at once; the socket closes soon after. Graph's client goes through
      // Node's fetch (undici), which lets go of an aborted request's connection on its
      // keep-alive timer (4 s), not at the abort (as the connectors' own deadline test sees).
      while (!standIn.sockets.every((entry) => entry.closed)) {
        if (Date.now() - deadlineAt > 6000) throw new Error('the connection stayed open');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(standIn.requests).toHaveLength(requestsBefore + 1);
    },
  );
});

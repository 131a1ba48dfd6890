import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import {
  type ConnectionStore,
  createConnectionStore,
  type OAuthProviderName,
  PROVIDER_LABELS,
} from './connection-store.js';
import { createOAuthClient, type OAuthClient } from './oauth-client.js';
import type { CalendarConfig } from './oauth-config.js';
import { createSyncJobQueue, type SyncJobQueue } from './sync-jobs.js';
import { createTokenCrypto } from './token-crypto.js';
import { loadTokenKey } from './token-crypto-key.js';

/**
 * What the calendar routes and the sync worker share, built once per server: one connection
 * store (so one refresh at a time per connection in this process), one job queue.
 */
export interface CalendarServices {
  config: CalendarConfig;
  oauth: Partial<Record<OAuthProviderName, OAuthClient>>;
  connections: ConnectionStore;
  jobs: SyncJobQueue;
}

export async function createCalendarServices(deps: {
  config: CalendarConfig;
  db: Database;
  dataDir: string;
  clock: () => Date;
  log: Logger;
}): Promise<CalendarServices> {
  const { config, clock } = deps;
  const key = await loadTokenKey({ configured: config.tokenKey, dataDir: deps.dataDir });
  const crypto = createTokenCrypto(key);
  const oauth: Partial<Record<OAuthProviderName, OAuthClient>> = {};
  if (config.google) {
    oauth.GOOGLE = createOAuthClient(config.google, {
      providerLabel: PROVIDER_LABELS.GOOGLE,
      clock,
    });
  }
  if (config.microsoft) {
    oauth.MICROSOFT = createOAuthClient(config.microsoft, {
      providerLabel: PROVIDER_LABELS.MICROSOFT,
      clock,
    });
  }
  return {
    config,
    oauth,
    connections: createConnectionStore({ db: deps.db, crypto, oauth, clock, log: deps.log }),
    jobs: createSyncJobQueue(deps.db, { clock }),
  };
}

import type { Migration } from '../migrate.js';

/**
 * The request that queued a calendar sync job (its X-Request-Id), so the job's log lines can be
 * found from the request that asked for it. Null for the server's own polls.
 */
export const migration: Migration = {
  id: '1796592945649-sync-job-request-id',
  up: `
    alter table sync_jobs add column request_id text;
  `,
};

import { describe, expect, it } from 'vitest';
import type { SyncJob } from './calendar-api.js';
import { describeSyncJob, pollSyncJob } from './sync-job-poll.js';

const job = (state: SyncJob['state'], extra: Partial<SyncJob> = {}): SyncJob => ({
  id: 'j1',
  connection_id: 'c1',
  state,
  attempts: state === 'queued' ? 0 : 1,
  error: null,
  ...extra,
});

/** A clock the poller's sleeps advance, so no test waits for real. */
function fakeTime() {
  let clock = 0;
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      clock += ms;
    },
  };
}

describe('watching a sync job', () => {
  it('reports each state until the job succeeds', async () => {
    const states = [job('queued'), job('running'), job('succeeded')];
    const seen: string[] = [];
    const result = await pollSyncJob(async () => states.shift() ?? job('failed'), {
      intervalMs: 1000,
      timeoutMs: 60_000,
      onProgress: (current) => seen.push(current.state),
      isCancelled: () => false,
      ...fakeTime(),
    });
    expect(seen).toEqual(['queued', 'running', 'succeeded']);
    expect(result?.state).toBe('succeeded');
  });

  it('keeps watching through a retry and ends on the final failure', async () => {
    const states = [
      job('running'),
      job('queued', { attempts: 1, error: 'CalDAV server unreachable' }),
      job('failed', { attempts: 3, error: 'CalDAV server unreachable' }),
    ];
    const result = await pollSyncJob(async () => states.shift() ?? job('succeeded'), {
      intervalMs: 1000,
      timeoutMs: 60_000,
      onProgress: () => {},
      isCancelled: () => false,
      ...fakeTime(),
    });
    expect(result).toMatchObject({ state: 'failed', error: 'CalDAV server unreachable' });
  });

  it('gives up at the deadline, and stops at once when the page is left', async () => {
    let reads = 0;
    const readJob = async () => {
      reads += 1;
      return job('running');
    };
    const options = {
      intervalMs: 1000,
      timeoutMs: 5000,
      onProgress: () => {},
      isCancelled: () => false,
    };
    expect(await pollSyncJob(readJob, { ...options, ...fakeTime() })).toBeNull();
    expect(reads).toBe(5);
    reads = 0;
    expect(
      await pollSyncJob(readJob, { ...options, ...fakeTime(), isCancelled: () => true }),
    ).toBeNull();
    expect(reads).toBe(0);
  });

  it('says what the job is doing', () => {
    expect(describeSyncJob(job('queued'), 'CalDAV')).toBe('CalDAV: sync queued…');
    expect(describeSyncJob(job('running', { attempts: 2 }), 'CalDAV')).toBe(
      'Syncing CalDAV… (attempt 2)',
    );
    expect(describeSyncJob(job('queued', { error: 'timeout' }), 'CalDAV')).toContain(
      'trying again',
    );
    expect(describeSyncJob(job('succeeded'), 'Outlook')).toBe('Outlook is in sync.');
    expect(describeSyncJob(job('failed', { error: '401 from Graph' }), 'Outlook')).toBe(
      'Sync of Outlook failed: 401 from Graph',
    );
  });
});

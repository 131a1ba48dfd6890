import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { recordRecentErrors } from './recent-errors.js';

describe('recent errors', () => {
  it('keeps the last warnings and errors with their time, newest first, and still logs them', () => {
    const written: string[] = [];
    const log: Logger = {
      debug: (message) => written.push(`debug ${message}`),
      info: (message) => written.push(`info ${message}`),
      warn: (message) => written.push(`warn ${message}`),
      error: (message) => written.push(`error ${message}`),
      child: () => log,
    };
    let now = Date.parse('2030-05-06T07:00:00.000Z');
    const recent = recordRecentErrors(log, () => new Date(now), 2);
    recent.log.info('started');
    recent.log.warn('calendar sync failed', { error: 'x'.repeat(500), userId: 'u1' });
    now += 1000;
    recent.log.error('update batch failed to commit', { error: new Error('connection reset') });
    now += 1000;
    recent.log.child({ socketId: 's1' }).error('a listener failed');
    expect(written).toEqual([
      'info started',
      'warn calendar sync failed',
      'error update batch failed to commit',
      'error a listener failed',
    ]);
    expect(recent.list()).toEqual([
      {
        time: '2030-05-06T07:00:02.000Z',
        level: 'error',
        message: 'a listener failed',
        detail: null,
      },
      {
        time: '2030-05-06T07:00:01.000Z',
        level: 'error',
        message: 'update batch failed to commit',
        detail: 'connection reset',
      },
    ]);
  });

  it('shortens long details and keeps no other field', () => {
    const recent = recordRecentErrors(
      {
        debug() {},
        info() {},
        warn() {},
        error() {},
        child() {
          return this;
        },
      },
      () => new Date('2030-01-01T00:00:00Z'),
    );
    recent.log.warn('calendar sync failed', { error: 'x'.repeat(500), userId: 'u1' });
    const [entry] = recent.list();
    expect(entry?.detail).toHaveLength(300);
    expect(JSON.stringify(entry)).not.toContain('u1');
  });
});

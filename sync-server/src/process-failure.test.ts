import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { exitOnUnexpectedErrors } from './process-failure.js';

/** A stand-in for `process`: emits its events on demand and records what the policy did. */
function fakeProcess() {
  const events: string[] = [];
  const emitter = new EventEmitter();
  let exited: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const process = Object.assign(emitter, {
    exit(code: number) {
      events.push(`exit ${code}`);
      exited(code);
    },
  });
  return { process, events, exit };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', {
    destination: { write: (line) => lines.push(JSON.parse(line)) },
  });
  return { lines, log };
}

describe('exitOnUnexpectedErrors', () => {
  it('logs an uncaught exception with its stack, stops gracefully, then exits with status 1', async () => {
    const { process, events, exit } = fakeProcess();
    const { lines, log } = capture();
    exitOnUnexpectedErrors({
      process,
      log,
      shutdown: async () => {
        events.push('shutdown started');
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push('pending writes committed');
      },
    });
    process.emit('uncaughtException', new Error('room state broke'), 'uncaughtException');
    expect(await exit).toBe(1);
    expect(events).toEqual(['shutdown started', 'pending writes committed', 'exit 1']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'unexpected error, shutting down',
      event: 'uncaughtException',
      origin: 'uncaughtException',
    });
    expect(String(lines[0]?.error)).toMatch(/^Error: room state broke\n\s+at /);
  });

  it('treats an unhandled rejection the same way, whatever was rejected', async () => {
    const { process, events, exit } = fakeProcess();
    const { lines, log } = capture();
    exitOnUnexpectedErrors({
      process,
      log,
      shutdown: async () => {
        events.push('shutdown');
      },
    });
    process.emit('unhandledRejection', 'a bare string');
    expect(await exit).toBe(1);
    expect(events).toEqual(['shutdown', 'exit 1']);
    expect(lines[0]).toMatchObject({ event: 'unhandledRejection', error: 'a bare string' });
  });

  it('logs a second error during the stop without starting another stop', async () => {
    const { process, events, exit } = fakeProcess();
    const { lines, log } = capture();
    let finish: () => void = () => undefined;
    exitOnUnexpectedErrors({
      process,
      log,
      shutdown: () => {
        events.push('shutdown');
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    });
    process.emit('uncaughtException', new Error('first'), 'uncaughtException');
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.emit('unhandledRejection', new Error('second'));
    expect(events).toEqual(['shutdown']);
    finish();
    expect(await exit).toBe(1);
    expect(events).toEqual(['shutdown', 'exit 1']);
    expect(lines.map((line) => [line.event, line.during])).toEqual([
      ['uncaughtException', undefined],
      ['unhandledRejection', 'shutdown'],
    ]);
  });

  it('exits with status 1 when the graceful stop fails', async () => {
    const { process, exit } = fakeProcess();
    const { lines, log } = capture();
    exitOnUnexpectedErrors({
      process,
      log,
      shutdown: () => {
        throw new Error('database already closed');
      },
    });
    process.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    expect(await exit).toBe(1);
    expect(lines.map((line) => line.msg)).toEqual([
      'unexpected error, shutting down',
      'shutdown failed',
    ]);
    expect(String(lines[1]?.error)).toContain('database already closed');
  });

  it('exits with status 1 at the deadline when the graceful stop hangs', async () => {
    const { process, exit } = fakeProcess();
    const { lines, log } = capture();
    exitOnUnexpectedErrors({
      process,
      log,
      shutdown: () => new Promise<void>(() => undefined),
      shutdownDeadlineMs: 20,
    });
    process.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    expect(await exit).toBe(1);
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown deadline passed, exiting' });
  });
});

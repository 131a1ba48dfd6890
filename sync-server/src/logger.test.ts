import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from './logger.js';
import { runWithLogContext } from './observability/log-context.js';

const AT = new Date('2026-03-04T05:06:07.890Z');

function capture(level: LogLevel = 'debug') {
  const lines: string[] = [];
  const log = createLogger(level, {
    destination: { write: (line) => lines.push(line) },
    clock: () => AT,
  });
  return {
    lines,
    log,
    parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, msg and the fields', () => {
    const { lines, log, parsed } = capture();
    log.info('user registered', { userId: 'u1' });
    log.error('commit failed', { room: 'r', attempt: 2 });
    expect(
      lines.every((line) => line.endsWith('\n') && line.indexOf('\n') === line.length - 1),
    ).toBe(true);
    expect(parsed()).toEqual([
      { time: '2026-03-04T05:06:07.890Z', level: 'info', msg: 'user registered', userId: 'u1' },
      {
        time: '2026-03-04T05:06:07.890Z',
        level: 'error',
        msg: 'commit failed',
        room: 'r',
        attempt: 2,
      },
    ]);
  });

  it('drops lines below LOG_LEVEL and writes nothing when silent', () => {
    const warn = capture('warn');
    warn.log.debug('d');
    warn.log.info('i');
    warn.log.warn('w');
    warn.log.error('e');
    expect(warn.parsed().map((line) => line.level)).toEqual(['warn', 'error']);
    const silent = capture('silent');
    silent.log.error('e');
    expect(silent.lines).toEqual([]);
  });

  it('redacts secrets by name at any nesting, in arrays and in child bindings', () => {
    const { lines, log } = capture();
    log.info('request', {
      password: 'pw-top',
      headers: { authorization: 'Bearer tok-1', Cookie: 'sid=cookie-1' },
      oauth: { exchange: { body: { code_verifier: 'verifier-1', refresh_token: 'rt-1' } } },
      sessions: [{ access_token: 'at-1' }, { accessToken: 'at-2', refreshToken: 'rt-2' }],
      connection: { secret: 'webhook-secret', token: 'tok-2' },
    });
    log.child({ socketId: 's1', auth: { token: 'tok-3' } }).warn('closing');
    const output = lines.join('');
    for (const secret of [
      'pw-top',
      'tok-1',
      'cookie-1',
      'verifier-1',
      'rt-1',
      'at-1',
      'at-2',
      'rt-2',
      'webhook-secret',
      'tok-2',
      'tok-3',
    ]) {
      expect(output).not.toContain(secret);
    }
    const first = JSON.parse(lines[0] ?? '{}');
    expect(first.headers.authorization).toBe('[redacted]');
    expect(first.oauth.exchange.body.refresh_token).toBe('[redacted]');
    expect(first.sessions[1].accessToken).toBe('[redacted]');
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ socketId: 's1', msg: 'closing' });
  });

  it('adds the request id of the work running to each line, awaited work included', async () => {
    const { log, parsed } = capture();
    log.info('outside');
    await runWithLogContext({ requestId: 'req-1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.child({ jobId: 'j1' }).info('inside');
    });
    expect(parsed()).toEqual([
      expect.not.objectContaining({ requestId: expect.anything() }),
      expect.objectContaining({ msg: 'inside', requestId: 'req-1', jobId: 'j1' }),
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { authorizationRedirect, codeChallenge, readCallback } from './oauth-flow.js';

function memoryStorage() {
  const values = new Map<string, string>();
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  };
}

const google = {
  provider: 'GOOGLE' as const,
  authorization_url: 'https://accounts.example.com/auth',
  client_id: 'client-1',
  scope: 'calendar.events',
  extra_params: { access_type: 'offline', prompt: 'consent' },
};

describe('the OAuth redirect flow', () => {
  it('computes the RFC 7636 S256 challenge', async () => {
    // Appendix B of RFC 7636.
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('remembers which connection a Reconnect renews, across the redirect', async () => {
    const storage = memoryStorage();
    const href = await authorizationRedirect(
      google,
      'work@example.com',
      'https://tasks.example',
      storage,
      'connection-7',
    );
    const state = new URL(href).searchParams.get('state');
    expect(readCallback(`?calendar-callback=1&code=abc&state=${state}`, storage)).toMatchObject({
      kind: 'code',
      pending: { calendarId: 'work@example.com', connectionId: 'connection-7' },
    });
  });

  it('sends the user to the provider and reads the code back, checking the state', async () => {
    const storage = memoryStorage();
    const href = await authorizationRedirect(google, 'primary', 'https://tasks.example', storage);
    const url = new URL(href);
    expect(url.searchParams.get('client_id')).toBe('client-1');
    expect(url.searchParams.get('redirect_uri')).toBe('https://tasks.example/?calendar-callback=1');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('access_type')).toBe('offline');
    const state = url.searchParams.get('state');
    const result = readCallback(`?calendar-callback=1&code=abc&state=${state}`, storage);
    expect(result).toMatchObject({ kind: 'code', code: 'abc', pending: { calendarId: 'primary' } });
    if (result.kind === 'code') {
      expect(await codeChallenge(result.pending.verifier)).toBe(
        url.searchParams.get('code_challenge'),
      );
    }
    // Used up: the same URL again is refused.
    expect(readCallback(`?calendar-callback=1&code=abc&state=${state}`, storage).kind).toBe(
      'error',
    );
  });

  it('refuses a forged state and reports a declined consent', async () => {
    const storage = memoryStorage();
    await authorizationRedirect(google, 'primary', 'https://tasks.example', storage);
    expect(readCallback('?calendar-callback=1&code=abc&state=forged', storage)).toMatchObject({
      kind: 'error',
    });
    await authorizationRedirect(google, 'primary', 'https://tasks.example', storage);
    expect(readCallback('?calendar-callback=1&error=access_denied', storage)).toEqual({
      kind: 'error',
      message: 'The calendar was not connected: access was declined.',
    });
    expect(readCallback('?other=1', storage)).toEqual({ kind: 'none' });
  });

  it('refuses a callback this tab did not start, or whose saved flow is corrupt', () => {
    const storage = memoryStorage();
    expect(readCallback('?calendar-callback=1&code=abc&state=s', storage)).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('not started here'),
    });
    storage.setItem('tasks.calendar-oauth', '{not json');
    expect(readCallback('?calendar-callback=1&code=abc&state=s', storage).kind).toBe('error');
  });

  it('shows the provider’s own words for other errors', async () => {
    const storage = memoryStorage();
    await authorizationRedirect(google, 'primary', 'https://tasks.example', storage);
    expect(
      readCallback(
        '?calendar-callback=1&error=invalid_scope&error_description=Scope+not+allowed',
        storage,
      ),
    ).toEqual({ kind: 'error', message: 'The provider refused: Scope not allowed' });
  });

  it('makes a fresh verifier and state for every connect', async () => {
    const storage = memoryStorage();
    const first = new URL(await authorizationRedirect(google, 'primary', 'https://a', storage));
    const second = new URL(await authorizationRedirect(google, 'primary', 'https://a', storage));
    expect(first.searchParams.get('state')).not.toBe(second.searchParams.get('state'));
    expect(first.searchParams.get('code_challenge')).not.toBe(
      second.searchParams.get('code_challenge'),
    );
    // The verifier is 48 random bytes: 64 base64url characters, within RFC 7636's 43-128.
    const saved = JSON.parse(storage.getItem('tasks.calendar-oauth') ?? '{}') as {
      verifier: string;
    };
    expect(saved.verifier).toMatch(/^[A-Za-z0-9_-]{64}$/);
  });
});

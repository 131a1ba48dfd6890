import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config-error.js';
import { GOOGLE_SCOPE, loadCalendarConfig, MICROSOFT_SCOPE } from './oauth-config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadCalendarConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('calendar configuration', () => {
  it("defaults to the providers' real endpoints, with both OAuth providers off", () => {
    expect(loadCalendarConfig({})).toEqual({
      tokenKey: null,
      google: null,
      microsoft: null,
      googleApiUrl: 'https://www.googleapis.com/',
      microsoftGraphUrl: 'https://graph.microsoft.com',
      syncConcurrency: 2,
      syncDeadlineMs: 180_000,
      publicUrl: null,
      caldavPrivateNetworks: false,
      caldavPorts: [80, 443, 8008, 8080, 8443],
    });
    expect(
      loadCalendarConfig({ CALDAV_ALLOW_PRIVATE_NETWORKS: 'true' }).caldavPrivateNetworks,
    ).toBe(true);
  });

  it('reads the CalDAV ports as a list, or any, and refuses anything else', () => {
    expect(loadCalendarConfig({ CALDAV_ALLOWED_PORTS: '443, 5232' }).caldavPorts).toEqual([
      443, 5232,
    ]);
    expect(loadCalendarConfig({ CALDAV_ALLOWED_PORTS: 'any' }).caldavPorts).toBe('any');
    expect(() => loadCalendarConfig({ CALDAV_ALLOWED_PORTS: 'web' })).toThrow(
      /CALDAV_ALLOWED_PORTS: must be "any" or a comma-separated list of ports/,
    );
    expect(() => loadCalendarConfig({ CALDAV_ALLOWED_PORTS: '70000' })).toThrow(
      /CALDAV_ALLOWED_PORTS: each port must be 1-65535/,
    );
  });

  it('turns a provider on with its client id, and builds Microsoft URLs from the tenant', () => {
    const config = loadCalendarConfig({
      GOOGLE_CLIENT_ID: 'g-id',
      GOOGLE_CLIENT_SECRET: 'g-secret',
      MICROSOFT_CLIENT_ID: 'm-id',
      MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
      GOOGLE_CLIENT_ID_UNRELATED: '',
    });
    expect(config.google).toEqual({
      clientId: 'g-id',
      clientSecret: 'g-secret',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      issuer: 'https://accounts.google.com',
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      scope: GOOGLE_SCOPE,
      authorizationParams: { access_type: 'offline', prompt: 'consent' },
    });
    expect(config.microsoft).toEqual({
      clientId: 'm-id',
      clientSecret: null,
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      issuer: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
      authorizationUrl:
        'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      scope: MICROSOFT_SCOPE,
      authorizationParams: {},
    });
  });

  it('lets every provider URL point elsewhere: https anywhere, http only on this machine', () => {
    const config = loadCalendarConfig({
      GOOGLE_CLIENT_ID: 'g',
      GOOGLE_TOKEN_URL: 'http://127.0.0.1:4000/token',
      GOOGLE_API_URL: 'http://localhost:4001/',
      MICROSOFT_CLIENT_ID: 'm',
      MICROSOFT_TOKEN_URL: 'https://sso.example.com/token',
      MICROSOFT_GRAPH_URL: 'https://graph.example.com',
    });
    expect(config.google?.tokenUrl).toBe('http://127.0.0.1:4000/token');
    expect(config.googleApiUrl).toBe('http://localhost:4001/');
    expect(config.microsoft?.tokenUrl).toBe('https://sso.example.com/token');
    expect(config.microsoftGraphUrl).toBe('https://graph.example.com');
    expect(problemsOf({ GOOGLE_TOKEN_URL: 'http://sso.example.com/token' })).toEqual([
      'GOOGLE_TOKEN_URL: must be an https:// URL (http:// only for 127.0.0.1 or localhost)',
    ]);
  });

  it('names each bad variable', () => {
    const key = randomBytes(32);
    expect(loadCalendarConfig({ CALENDAR_TOKEN_KEY: key.toString('hex') }).tokenKey).toBe(
      key.toString('hex'),
    );
    expect(
      problemsOf({
        CALENDAR_TOKEN_KEY: 'short',
        MICROSOFT_TENANT: 'a/b',
        CALENDAR_SYNC_CONCURRENCY: '0',
        MICROSOFT_GRAPH_URL: 'not a url',
        CALDAV_ALLOW_PRIVATE_NETWORKS: 'yes',
      }).map((problem) => problem.split(':')[0]),
    ).toEqual([
      'CALENDAR_TOKEN_KEY',
      'MICROSOFT_TENANT',
      'MICROSOFT_GRAPH_URL',
      'CALENDAR_SYNC_CONCURRENCY',
      'CALDAV_ALLOW_PRIVATE_NETWORKS',
    ]);
    expect(problemsOf({ GOOGLE_CLIENT_SECRET: 's' })).toEqual([
      'GOOGLE_CLIENT_SECRET: set GOOGLE_CLIENT_ID too',
    ]);
  });
});

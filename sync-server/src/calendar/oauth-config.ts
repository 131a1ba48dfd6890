import { DEFAULT_CALDAV_PORTS } from '@tasks/connectors';
import { z } from 'zod';
import { ConfigError } from '../config-error.js';
import { parseTokenKey } from './token-crypto.js';

/**
 * The calendar bridge's configuration, read once at start beside `loadConfig`: the key that
 * seals stored secrets, and for each OAuth provider its client and every URL we call (token
 * endpoint, API root), so tests and self-hosters point them elsewhere. A provider without a
 * client id is off: connecting to it answers 422.
 */
export interface OAuthProviderConfig {
  clientId: string;
  /** Null for a public client (PKCE only). */
  clientSecret: string | null;
  tokenUrl: string;
  /** Expected `iss` of ID tokens, when the token endpoint returns one. */
  issuer: string;
  /** Where the app sends the user to grant access (the authorization endpoint). */
  authorizationUrl: string;
  /** The scopes the app asks for, space-separated. */
  scope: string;
  /** More query parameters of the authorization request (offline access). */
  authorizationParams: Record<string, string>;
}

export interface CalendarConfig {
  /** CALENDAR_TOKEN_KEY as given, or null to generate one into DATA_DIR. */
  tokenKey: string | null;
  google: OAuthProviderConfig | null;
  microsoft: OAuthProviderConfig | null;
  /** Root of Google Calendar API v3 (the googleapis `rootUrl`). */
  googleApiUrl: string;
  /** Microsoft Graph's origin. */
  microsoftGraphUrl: string;
  /** Sync jobs one server runs at once. */
  syncConcurrency: number;
  /**
   * The longest one sync may run (CALENDAR_SYNC_DEADLINE_MS): past it, the provider's requests
   * are aborted, nothing of the sync is committed and the job is retried later.
   */
  syncDeadlineMs: number;
  /**
   * The server's public origin as providers reach it (PUBLIC_URL). Set: Google and Microsoft
   * push changes to its webhooks; unset: polling only (every 15 min, CalDAV 30 min).
   */
  publicUrl: string | null;
  /**
   * Whether CalDAV servers on this machine or a private network may be connected
   * (CALDAV_ALLOW_PRIVATE_NETWORKS). Off, a user cannot make the server reach its own services.
   */
  caldavPrivateNetworks: boolean;
  /** Ports a CalDAV server may use (CALDAV_ALLOWED_PORTS; without private networks). */
  caldavPorts: readonly number[] | 'any';
}

/** Read access to the calendar list and events (spec 6.1), offline so the server can refresh. */
export const GOOGLE_SCOPE =
  'https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.readonly';
export const MICROSOFT_SCOPE = 'offline_access Calendars.Read Calendars.ReadWrite';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http to this machine only (tests, a local fake): tokens never cross a network in clear. */
export function isAllowedEndpoint(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

/** Plain http to this machine: let through oauth4webapi's https-only rule, nothing else is. */
export function isLoopbackHttp(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

const endpoint = z
  .string()
  .refine(isAllowedEndpoint, 'must be an https:// URL (http:// only for 127.0.0.1 or localhost)');

const envSchema = z.object({
  CALENDAR_TOKEN_KEY: z
    .string()
    .refine(
      (value) => parseTokenKey(value) !== null,
      'must be 32 bytes in hex (64 digits) or base64',
    )
    .optional(),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_TOKEN_URL: endpoint.default('https://oauth2.googleapis.com/token'),
  GOOGLE_ISSUER: z.string().min(1).default('https://accounts.google.com'),
  GOOGLE_AUTH_URL: endpoint.default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_API_URL: endpoint.default('https://www.googleapis.com/'),
  MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
  MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
  /** Entra tenant: `common`, `organizations`, `consumers` or a tenant id. */
  MICROSOFT_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,100}$/, 'must be common, organizations, consumers or a tenant id')
    .default('common'),
  MICROSOFT_TOKEN_URL: endpoint.optional(),
  MICROSOFT_ISSUER: z.string().min(1).optional(),
  MICROSOFT_AUTH_URL: endpoint.optional(),
  MICROSOFT_GRAPH_URL: endpoint.default('https://graph.microsoft.com'),
  CALENDAR_SYNC_CONCURRENCY: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be 1-32')
    .max(32, 'must be 1-32')
    .default(2),
  CALENDAR_SYNC_DEADLINE_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number of milliseconds')
    .min(100, 'must be 100-3600000 (ms)')
    .max(3_600_000, 'must be 100-3600000 (ms)')
    .default(180_000),
  PUBLIC_URL: endpoint.optional(),
  CALDAV_ALLOW_PRIVATE_NETWORKS: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false'),
  CALDAV_ALLOWED_PORTS: z
    .string()
    .regex(
      /^(any|\d{1,5}(\s*,\s*\d{1,5})*)$/,
      'must be "any" or a comma-separated list of ports such as 443,8443',
    )
    .refine(
      (value) =>
        value === 'any' ||
        value.split(',').every((port) => Number(port) >= 1 && Number(port) <= 65_535),
      'each port must be 1-65535',
    )
    .optional(),
});

/** Reads the calendar variables; empty strings count as unset. Throws ConfigError. */
export function loadCalendarConfig(
  env: Record<string, string | undefined> = process.env,
): CalendarConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = result.data;
  const problems: string[] = [];
  if (e.GOOGLE_CLIENT_SECRET && !e.GOOGLE_CLIENT_ID) {
    problems.push('GOOGLE_CLIENT_SECRET: set GOOGLE_CLIENT_ID too');
  }
  if (e.MICROSOFT_CLIENT_SECRET && !e.MICROSOFT_CLIENT_ID) {
    problems.push('MICROSOFT_CLIENT_SECRET: set MICROSOFT_CLIENT_ID too');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const tenant = e.MICROSOFT_TENANT;
  return {
    tokenKey: e.CALENDAR_TOKEN_KEY ?? null,
    google: e.GOOGLE_CLIENT_ID
      ? {
          clientId: e.GOOGLE_CLIENT_ID,
          clientSecret: e.GOOGLE_CLIENT_SECRET ?? null,
          tokenUrl: e.GOOGLE_TOKEN_URL,
          issuer: e.GOOGLE_ISSUER,
          authorizationUrl: e.GOOGLE_AUTH_URL,
          scope: GOOGLE_SCOPE,
          // A refresh token is only given with offline access, and again only with consent.
          authorizationParams: { access_type: 'offline', prompt: 'consent' },
        }
      : null,
    microsoft: e.MICROSOFT_CLIENT_ID
      ? {
          clientId: e.MICROSOFT_CLIENT_ID,
          clientSecret: e.MICROSOFT_CLIENT_SECRET ?? null,
          tokenUrl:
            e.MICROSOFT_TOKEN_URL ??
            `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
          issuer: e.MICROSOFT_ISSUER ?? `https://login.microsoftonline.com/${tenant}/v2.0`,
          authorizationUrl:
            e.MICROSOFT_AUTH_URL ??
            `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
          scope: MICROSOFT_SCOPE,
          authorizationParams: {},
        }
      : null,
    googleApiUrl: e.GOOGLE_API_URL,
    microsoftGraphUrl: e.MICROSOFT_GRAPH_URL,
    syncConcurrency: e.CALENDAR_SYNC_CONCURRENCY,
    syncDeadlineMs: e.CALENDAR_SYNC_DEADLINE_MS,
    publicUrl: e.PUBLIC_URL ? e.PUBLIC_URL.replace(/\/+$/, '') : null,
    caldavPrivateNetworks: e.CALDAV_ALLOW_PRIVATE_NETWORKS === 'true',
    caldavPorts:
      e.CALDAV_ALLOWED_PORTS === undefined
        ? DEFAULT_CALDAV_PORTS
        : e.CALDAV_ALLOWED_PORTS === 'any'
          ? 'any'
          : e.CALDAV_ALLOWED_PORTS.split(',').map((port) => Number(port.trim())),
  };
}

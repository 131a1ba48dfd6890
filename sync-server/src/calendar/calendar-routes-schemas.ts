import { z } from '@hono/zod-openapi';
import type { CalendarConnection } from './connection-store.js';
import type { SyncJob } from './sync-jobs.js';

/** Request and response shapes of /api/v1/calendar (spec 5.2), snake_case as the spec has them. */

/** RFC 7636 4.1: 43-128 characters of the unreserved set. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

const calendarId = z.string().trim().min(1, 'must not be empty').max(1024);

const renewedConnectionId = z.string().min(1).max(100).optional().openapi({
  description:
    'Renew this connection (new credentials after a revoked grant or a changed password) instead of adding one: same provider and calendar',
});

export const OAuthConnectBody = z
  .object({
    connection_id: renewedConnectionId,
    provider: z.enum(['GOOGLE', 'MICROSOFT']),
    authorization_code: z.string().min(1, 'must not be empty').max(4096),
    redirect_uri: z.url({ error: 'must be the redirect URI the code was issued for' }).max(2048),
    calendar_id: calendarId.openapi({
      description: "The provider's calendar id (`primary` for Google's main calendar)",
      example: 'primary',
    }),
    code_verifier: z
      .string()
      .regex(CODE_VERIFIER, 'must be 43-128 characters of A-Z, a-z, 0-9, -, ., _, ~ (RFC 7636)')
      .optional()
      .openapi({ description: 'The PKCE verifier, when the app made the request with PKCE' }),
  })
  .strict();

export const CaldavConnectBody = z
  .object({
    connection_id: renewedConnectionId,
    provider: z.literal('ICAL'),
    server_url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048)
      .refine((value) => {
        const url = new URL(value);
        return url.username === '' && url.password === '';
      }, 'must not hold credentials: send them as username and password')
      .openapi({ example: 'https://dav.example.com/' }),
    username: z.string().min(1, 'must not be empty').max(256),
    password: z.string().min(1, 'must not be empty').max(1024),
    calendar_id: calendarId.openapi({
      description: "The calendar collection's path on that server",
      example: '/alice/calendar/',
    }),
  })
  .strict();

export const ConnectBody = z
  .discriminatedUnion('provider', [OAuthConnectBody, CaldavConnectBody], {
    error: 'must be GOOGLE, MICROSOFT or ICAL',
  })
  .openapi('CalendarConnect');
export type ConnectRequest = z.infer<typeof ConnectBody>;

export const ConnectionPatchBody = z
  .object({
    sync_enabled: z.boolean({ error: 'must be true or false' }).optional().openapi({
      description: 'false pauses syncing this calendar (nothing is sent or pulled)',
    }),
    sync_delete_enabled: z.boolean({ error: 'must be true or false' }).optional().openapi({
      description: 'Whether deleting a task deletes its event (spec 6.2 rule 3)',
    }),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'must change sync_enabled or sync_delete_enabled')
  .openapi('CalendarConnectionPatch');

export const ConnectionSchema = z
  .object({
    id: z.string(),
    provider: z.enum(['GOOGLE', 'MICROSOFT', 'ICAL']),
    provider_account_id: z.string().nullable(),
    calendar_id: z.string(),
    server_url: z.string().nullable(),
    username: z.string().nullable(),
    sync_enabled: z.boolean(),
    sync_delete_enabled: z.boolean(),
    sync_status: z.enum(['PENDING', 'SUCCESS', 'FAILED']),
    sync_error: z.string().nullable(),
    last_sync_at: z.string().nullable(),
    token_expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CalendarConnection');

export const ProviderSchema = z
  .object({
    provider: z.enum(['GOOGLE', 'MICROSOFT', 'ICAL']),
    configured: z.boolean(),
    authorization_url: z.string().optional(),
    client_id: z.string().optional(),
    scope: z.string().optional(),
    extra_params: z.record(z.string(), z.string()).optional(),
  })
  .openapi('CalendarProvider');

export const ProviderListSchema = z
  .object({ providers: z.array(ProviderSchema) })
  .openapi('CalendarProviderList');

export const ConnectionListSchema = z
  .object({ connections: z.array(ConnectionSchema) })
  .openapi('CalendarConnectionList');

export const SyncAcceptedSchema = z
  .object({
    message: z.string(),
    job_id: z.string(),
    estimated_completion: z.string(),
    status_url: z
      .string()
      .openapi({ description: 'Where the job state is read (also `Location`)' }),
  })
  .openapi('SyncAccepted');

export const SyncJobSchema = z
  .object({
    id: z.string(),
    connection_id: z.string(),
    state: z.enum(['queued', 'running', 'succeeded', 'failed']),
    attempts: z.number().int(),
    error: z.string().nullable(),
    run_after: z.string(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi('SyncJob');

export const EventsQuery = z
  .object({
    start_date: z.string().max(64).openapi({
      description: 'A local date (from its midnight, in your time zone) or a datetime with offset',
      example: '2025-10-01',
    }),
    end_date: z.string().max(64).openapi({
      description: 'A local date (through its end) or a datetime with offset (excluded)',
      example: '2025-10-31',
    }),
  })
  .strict();

export const CalendarEventSchema = z
  .object({
    id: z.string().openapi({
      description:
        'The event; an occurrence of a recurring event has its own id (`series_id@original start`)',
    }),
    series_id: z
      .string()
      .openapi({ description: 'The event, or the series it is an occurrence of' }),
    title: z.string(),
    start_time: z.string(),
    end_time: z.string(),
    all_day: z.boolean(),
    source: z.string(),
    task_id: z.string().nullable(),
  })
  .openapi('CalendarEvent');

export const EventListSchema = z
  .object({ events: z.array(CalendarEventSchema) })
  .openapi('CalendarEventList');

export const JobIdParam = z.object({
  job_id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'job_id', in: 'path' } }),
});

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/** A connection as the API shows it: never a token or a password. */
export function connectionToApi(connection: CalendarConnection): z.infer<typeof ConnectionSchema> {
  return {
    id: connection.id,
    provider: connection.provider,
    provider_account_id: connection.providerAccountId,
    calendar_id: connection.calendarId,
    server_url: connection.serverUrl,
    username: connection.username,
    sync_enabled: connection.syncEnabled,
    sync_delete_enabled: connection.syncDeleteEnabled,
    sync_status: connection.syncStatus,
    sync_error: connection.syncError,
    last_sync_at: iso(connection.lastSyncAt),
    token_expires_at: iso(connection.tokenExpiresAt),
    created_at: connection.createdAt.toISOString(),
    updated_at: connection.updatedAt.toISOString(),
  };
}

export function syncJobToApi(job: SyncJob): z.infer<typeof SyncJobSchema> {
  return {
    id: job.id,
    connection_id: job.connectionId,
    state: job.state,
    attempts: job.attempts,
    error: job.error,
    run_after: job.runAfter.toISOString(),
    created_at: job.createdAt.toISOString(),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
  };
}

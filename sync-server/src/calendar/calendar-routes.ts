import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { createGuardedFetch } from '@tasks/connectors';
import {
  calendarEventToApi,
  forgetCalendarConnection,
  getTimezone,
  listCalendarEvents,
  resolveEntryRange,
  ValidationError,
} from '@tasks/crdt';
import { HttpError } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import {
  errorResponses,
  IdParam,
  jsonBody,
  jsonResponse,
  notFoundResponse,
} from '../rest/api-schemas.js';
import type { DocumentAccess } from '../rest/document-access.js';
import { validationHook } from '../rest/validation-hook.js';
import {
  ConnectBody,
  ConnectionListSchema,
  ConnectionPatchBody,
  ConnectionSchema,
  type ConnectRequest,
  connectionToApi,
  EventListSchema,
  EventsQuery,
  JobIdParam,
  ProviderListSchema,
  SyncAcceptedSchema,
  SyncJobSchema,
  syncJobToApi,
} from './calendar-routes-schemas.js';
import { type CaldavCheck, createCaldavCheck } from './connection-caldav-check.js';
import {
  type CalendarConnection,
  type ConnectionStore,
  type OAuthProviderName,
  PROVIDER_LABELS,
} from './connection-store.js';
import {
  InvalidGrantError,
  type OAuthClient,
  OAuthError,
  OAuthUnavailableError,
  type TokenSet,
} from './oauth-client.js';
import type { OAuthProviderConfig } from './oauth-config.js';
import type { SyncJobQueue } from './sync-jobs.js';

/**
 * /api/v1/calendar (spec 5.2): connect a calendar (OAuth code exchange for Google and
 * Microsoft, checked credentials for CalDAV), list and delete connections, ask for a sync (202
 * and a job to watch), and read the mirrored events from the user's document. Mounted behind
 * requireAuth; another user's ids answer 404. No response or log line carries a secret.
 */
export interface CalendarRoutesDeps {
  access: DocumentAccess;
  connections: ConnectionStore;
  /** Token endpoints of the configured providers; a provider missing here cannot be connected. */
  oauth: Partial<Record<OAuthProviderName, OAuthClient>>;
  jobs: Pick<SyncJobQueue, 'enqueue' | 'getForUser' | 'cancelQueued'>;
  clock: () => Date;
  log: Logger;
  /** Checks CalDAV credentials before storing them (default: a PROPFIND through the adapter). */
  checkCaldav?: CaldavCheck;
  /** Whether CalDAV servers on private networks may be connected (CalendarConfig). */
  caldavPrivateNetworks?: boolean;
  /** Ports a CalDAV server may use when private networks are off (default: the usual ones). */
  caldavPorts?: readonly number[] | 'any';
  /** Called after a job is queued, so a worker on this server starts it at once. */
  wakeWorker?: () => void;
  /** Added to a job's start for `estimated_completion` (default 60 s). */
  estimatedSyncMs?: number;
  /** Connections one user may hold (default 20). */
  maxConnectionsPerUser?: number;
  /** What the app needs to start each OAuth flow (null: the provider is not configured). */
  providers?: {
    google: AuthorizationConfig | null;
    microsoft: AuthorizationConfig | null;
  };
  /**
   * Called after the user's connections were added, removed, paused or resumed; `syncable` names
   * the connection that can sync now (connected, reconnected or resumed), null otherwise.
   */
  onConnectionsChanged?: (userId: string, syncable: string | null) => void;
  /** Called before a connection is removed, while its credentials still exist (stops push). */
  beforeDisconnect?: (connection: CalendarConnection) => Promise<void>;
}

type AuthorizationConfig = Pick<
  OAuthProviderConfig,
  'clientId' | 'authorizationUrl' | 'scope' | 'authorizationParams'
>;

const JOBS_PATH = '/api/v1/calendar/sync/jobs';
const EVENT_RANGE_FIELDS: Record<string, string> = { startDate: 'start_date', endDate: 'end_date' };

function notFound(what: string, id: string): HttpError {
  return new HttpError(404, 'not_found', `No ${what} ${id}.`);
}

/** The token endpoint's refusal, as a 422 naming the field to fix or a 502 for the provider. */
function oauthFailure(error: OAuthError): HttpError {
  const fields = (field: string) => [{ field, message: error.message }];
  if (error instanceof InvalidGrantError) {
    return new HttpError(
      422,
      'invalid_authorization_code',
      `${error.message}: the code may have expired or been used already`,
      fields('authorization_code'),
    );
  }
  if (error.code === 'redirect_uri_mismatch') {
    return new HttpError(422, 'redirect_uri_mismatch', error.message, fields('redirect_uri'));
  }
  if (error.code === 'invalid_request') {
    return new HttpError(422, 'invalid_oauth_request', error.message, fields('code_verifier'));
  }
  if (error instanceof OAuthUnavailableError) {
    return new HttpError(502, 'provider_unavailable', error.message);
  }
  return new HttpError(502, 'provider_rejected', error.message);
}

export function createCalendarRoutes(deps: CalendarRoutesDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const checkCaldav =
    deps.checkCaldav ??
    createCaldavCheck(
      deps.caldavPrivateNetworks
        ? globalThis.fetch
        : createGuardedFetch(deps.caldavPorts ? { allowedPorts: deps.caldavPorts } : {}),
    );
  const estimatedSyncMs = deps.estimatedSyncMs ?? 60_000;
  const maxConnections = deps.maxConnectionsPerUser ?? 20;

  async function exchange(
    body: Extract<ConnectRequest, { provider: OAuthProviderName }>,
  ): Promise<TokenSet> {
    const client = deps.oauth[body.provider];
    if (!client) {
      const message = `${body.provider} calendars are not configured on this server`;
      throw new HttpError(422, 'provider_not_configured', message, [
        { field: 'provider', message },
      ]);
    }
    try {
      return await client.exchangeCode({
        code: body.authorization_code,
        redirectUri: body.redirect_uri,
        codeVerifier: body.code_verifier,
      });
    } catch (error) {
      if (error instanceof OAuthError) throw oauthFailure(error);
      throw error;
    }
  }

  async function checkRoomFor(userId: string): Promise<void> {
    if ((await deps.connections.count(userId)) >= maxConnections) {
      throw new HttpError(
        409,
        'too_many_connections',
        `An account may connect at most ${maxConnections} calendars; delete one first.`,
      );
    }
  }

  /**
   * The connection the user asked to renew (`connection_id`): theirs, and the same calendar.
   * Its account may not change: the links point at that account's events.
   */
  async function renewalTarget(
    userId: string,
    body: ConnectRequest,
  ): Promise<CalendarConnection | null> {
    if (body.connection_id === undefined) return null;
    const target = await deps.connections.get(userId, body.connection_id);
    const refuse = (field: string, message: string) => {
      throw new HttpError(422, 'validation_failed', message, [{ field, message }]);
    };
    if (!target) return refuse('connection_id', 'no such calendar connection');
    if (target.provider !== body.provider) {
      return refuse('provider', `must be the connection's provider, ${target.provider}`);
    }
    if (target.calendarId !== body.calendar_id) {
      return refuse('calendar_id', `must be the connection's calendar, ${target.calendarId}`);
    }
    if (
      body.provider === 'ICAL' &&
      (target.serverUrl !== body.server_url || target.username !== body.username)
    ) {
      return refuse('server_url', 'another server or user is another calendar: connect it anew');
    }
    return target;
  }

  /**
   * A new connection, or the same one renewed: the one the request names (`connection_id`), or
   * one to the same calendar from the same account (OAuth subject, CalDAV server and user
   * name). A second connection to one calendar would put every task there twice.
   */
  async function connect(
    userId: string,
    body: ConnectRequest,
  ): Promise<{ connection: CalendarConnection; renewed: boolean }> {
    const target = await renewalTarget(userId, body);
    if (body.provider === 'ICAL') {
      const same =
        target ??
        (await deps.connections.findSame(userId, {
          provider: 'ICAL',
          accountId: body.username,
          calendarId: body.calendar_id,
          serverUrl: body.server_url,
        }));
      if (!same) await checkRoomFor(userId);
      await checkCaldav({
        serverUrl: body.server_url,
        username: body.username,
        password: body.password,
        calendarPath: body.calendar_id,
      });
      if (same) {
        const connection = await deps.connections.renewCaldav(same.id, body.password);
        return { connection, renewed: true };
      }
      const connection = await deps.connections.createCaldav({
        userId,
        serverUrl: body.server_url,
        username: body.username,
        password: body.password,
        calendarId: body.calendar_id,
      });
      return { connection, renewed: false };
    }
    const tokens = await exchange(body);
    const label = PROVIDER_LABELS[body.provider];
    if (
      target?.providerAccountId &&
      tokens.subject !== null &&
      tokens.subject !== target.providerAccountId
    ) {
      throw new HttpError(
        409,
        'other_account',
        `This calendar was connected with another ${label} account: sign in with that one to reconnect it.`,
      );
    }
    // Which account consented is known only from the ID token (OpenID scope).
    const same =
      target ??
      (tokens.subject === null
        ? null
        : await deps.connections.findSame(userId, {
            provider: body.provider,
            accountId: tokens.subject,
            calendarId: body.calendar_id,
          }));
    if (same) {
      return { connection: await deps.connections.renewOAuth(same.id, tokens), renewed: true };
    }
    await checkRoomFor(userId);
    const connection = await deps.connections.createOAuth({
      userId,
      provider: body.provider,
      calendarId: body.calendar_id,
      tokens,
    });
    return { connection, renewed: false };
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/connect',
      summary: 'Connect a calendar',
      description:
        'GOOGLE and MICROSOFT: the authorization code from the OAuth redirect (with `code_verifier` when the app used PKCE) is exchanged at the provider; the tokens are kept encrypted. ICAL: a CalDAV server, credentials and the calendar path, checked before they are stored. The first sync is queued at once. Connecting a calendar this user already connected from the same account (same OAuth subject, or same CalDAV server and user name) renews that connection instead (200): new credentials, failure cleared, links kept.',
      tags: ['Calendar'],
      request: { body: jsonBody(ConnectBody, 'The calendar to connect') },
      responses: {
        200: jsonResponse(ConnectionSchema, 'The existing connection, renewed'),
        201: jsonResponse(ConnectionSchema, 'The connection'),
        409: { description: 'Too many connections' },
        502: { description: 'The provider failed or refused this server' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const body = c.req.valid('json');
      const { connection, renewed } = await connect(userId, body);
      deps.log.info(renewed ? 'calendar reconnected' : 'calendar connected', {
        userId,
        connectionId: connection.id,
        provider: connection.provider,
      });
      deps.onConnectionsChanged?.(userId, connection.id);
      await deps.jobs.enqueue(connection.id);
      deps.wakeWorker?.();
      return c.json(connectionToApi(connection), renewed ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/providers',
      summary: 'Calendar providers this server can connect',
      description:
        'For Google and Microsoft, what the app needs to send the user to the provider (authorization code flow with PKCE): the authorization endpoint, the client id, the scopes and extra parameters. A provider without OAuth client on this server shows `configured: false`.',
      tags: ['Calendar'],
      responses: {
        200: jsonResponse(ProviderListSchema, 'The providers'),
        ...errorResponses,
      },
    }),
    (c) => {
      const oauthProvider = (
        provider: 'GOOGLE' | 'MICROSOFT',
        config: AuthorizationConfig | null | undefined,
      ) =>
        config
          ? {
              provider,
              configured: true,
              authorization_url: config.authorizationUrl,
              client_id: config.clientId,
              scope: config.scope,
              extra_params: config.authorizationParams,
            }
          : { provider, configured: false };
      return c.json(
        {
          providers: [
            oauthProvider('GOOGLE', deps.providers?.google),
            oauthProvider('MICROSOFT', deps.providers?.microsoft),
            { provider: 'ICAL' as const, configured: true },
          ],
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/connections',
      summary: 'List calendar connections',
      tags: ['Calendar'],
      responses: {
        200: jsonResponse(ConnectionListSchema, 'The connections, oldest first'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const connections = await deps.connections.list(c.var.auth.userId);
      return c.json({ connections: connections.map(connectionToApi) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/connections/{id}',
      summary: 'Get a calendar connection',
      tags: ['Calendar'],
      request: { params: IdParam },
      responses: {
        200: jsonResponse(ConnectionSchema, 'The connection'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const connection = await deps.connections.get(c.var.auth.userId, id);
      if (!connection) throw notFound('calendar connection', id);
      return c.json(connectionToApi(connection), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/connections/{id}',
      summary: 'Pause or resume a calendar, or choose whether task deletions delete events',
      tags: ['Calendar'],
      request: {
        params: IdParam,
        body: jsonBody(ConnectionPatchBody, 'The switches to change'),
      },
      responses: {
        200: jsonResponse(ConnectionSchema, 'The connection'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const connection = await deps.connections.updateSwitches(userId, id, {
        ...(body.sync_enabled === undefined ? {} : { syncEnabled: body.sync_enabled }),
        ...(body.sync_delete_enabled === undefined
          ? {}
          : { syncDeleteEnabled: body.sync_delete_enabled }),
      });
      if (!connection) throw notFound('calendar connection', id);
      deps.onConnectionsChanged?.(userId, body.sync_enabled === true ? connection.id : null);
      if (body.sync_enabled === true) {
        // Resumed: catch up now rather than at the next poll.
        await deps.jobs.enqueue(connection.id);
        deps.wakeWorker?.();
      } else if (body.sync_enabled === false) {
        await deps.jobs.cancelQueued(connection.id);
      }
      return c.json(connectionToApi(connection), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/connections/{id}',
      summary: 'Disconnect a calendar',
      description:
        'Forgets the connection, its credentials, its sync state and jobs, and removes its mirrored events from your calendar view. Events stay in the provider’s calendar.',
      tags: ['Calendar'],
      request: { params: IdParam },
      responses: { 204: { description: 'Disconnected' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const { id } = c.req.valid('param');
      const connection = await deps.connections.get(userId, id);
      if (!connection) throw notFound('calendar connection', id);
      await deps.beforeDisconnect?.(connection);
      const removed = await deps.connections.remove(userId, id);
      if (!removed) throw notFound('calendar connection', id);
      deps.onConnectionsChanged?.(userId, null);
      // Planned blocks go to the first calendar left (`blocksCalendarOf`); settings say so.
      await deps.access.use(userId, [], (docs, ctx) =>
        forgetCalendarConnection(docs, id, removed.links, ctx),
      );
      deps.log.info('calendar disconnected', { userId, connectionId: id });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/sync/{id}',
      summary: 'Sync a calendar now',
      description:
        'Queues a sync of the connection (or returns the one already waiting). Read its state at `status_url`.',
      tags: ['Calendar'],
      request: { params: IdParam },
      responses: {
        202: jsonResponse(SyncAcceptedSchema, 'Sync initiated'),
        409: { description: 'Syncing this calendar is paused' },
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const connection = await deps.connections.get(c.var.auth.userId, id);
      if (!connection) throw notFound('calendar connection', id);
      if (!connection.syncEnabled) {
        throw new HttpError(
          409,
          'sync_paused',
          'Syncing this calendar is paused: resume it (PATCH sync_enabled: true) first.',
        );
      }
      const job = await deps.jobs.enqueue(connection.id);
      deps.wakeWorker?.();
      const startsAt = Math.max(job.runAfter.getTime(), deps.clock().getTime());
      const statusUrl = `${JOBS_PATH}/${job.id}`;
      c.header('Location', statusUrl);
      return c.json(
        {
          message: 'Sync initiated',
          job_id: job.id,
          estimated_completion: new Date(startsAt + estimatedSyncMs).toISOString(),
          status_url: statusUrl,
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sync/jobs/{job_id}',
      summary: 'Read the state of a sync job',
      tags: ['Calendar'],
      request: { params: JobIdParam },
      responses: {
        200: jsonResponse(SyncJobSchema, 'The job'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { job_id: jobId } = c.req.valid('param');
      const job = await deps.jobs.getForUser(c.var.auth.userId, jobId);
      if (!job) throw notFound('sync job', jobId);
      return c.json(syncJobToApi(job), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/events',
      summary: 'Calendar events in a range',
      description:
        'Events of your connected calendars overlapping the range, by start, from the copy kept in sync (no provider is called). A recurring event is listed once per occurrence, each with its own id, start and end (moved and cancelled occurrences as the calendar has them), and `series_id` naming the series. At most 366 days.',
      tags: ['Calendar'],
      request: { query: EventsQuery },
      responses: { 200: jsonResponse(EventListSchema, 'The events'), ...errorResponses },
    }),
    async (c) => {
      const { userId } = c.var.auth;
      const query = c.req.valid('query');
      const events = await deps.access.use(userId, [], (docs, ctx) => {
        let range: { from: Date; to: Date };
        try {
          range = resolveEntryRange(
            { startDate: query.start_date, endDate: query.end_date },
            getTimezone(docs),
            ctx.now(),
          );
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          throw new ValidationError(
            error.fields.map((f) => ({ ...f, field: EVENT_RANGE_FIELDS[f.field] ?? f.field })),
          );
        }
        return listCalendarEvents(docs, range).map(calendarEventToApi);
      });
      return c.json({ events }, 200);
    },
  );

  return app;
}

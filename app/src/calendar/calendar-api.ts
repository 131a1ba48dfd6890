import type { Resource } from 'solid-js';
import { ApiError, type Session } from '../session/session.js';
import type { OAuthProviderInfo } from './oauth-flow.js';

/** The calendar part of the REST API (/api/v1/calendar), as the settings page uses it. */
export type CalendarProviderName = 'GOOGLE' | 'MICROSOFT' | 'ICAL';

export interface Connection {
  id: string;
  provider: CalendarProviderName;
  calendar_id: string;
  server_url: string | null;
  username: string | null;
  provider_account_id: string | null;
  sync_enabled: boolean;
  sync_delete_enabled: boolean;
  sync_status: 'PENDING' | 'SUCCESS' | 'FAILED';
  sync_error: string | null;
  last_sync_at: string | null;
}

/**
 * The user's connections, fetched once for the settings page and shared by the parts that show
 * them (each change made there refetches, so all see the same list).
 */
export interface ConnectionList {
  list: Resource<Connection[]>;
  refetch: () => void;
}

export type ProviderInfo =
  | (OAuthProviderInfo & { configured: true })
  | { provider: 'GOOGLE' | 'MICROSOFT'; configured: false }
  | { provider: 'ICAL'; configured: true };

export interface SyncJob {
  id: string;
  connection_id: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  /** Runs started so far; a failed run that will be retried goes back to `queued` with its error. */
  attempts: number;
  error: string | null;
}

/** `connection_id` renews that connection (Reconnect) instead of adding one. */
export type ConnectRequest =
  | {
      connection_id?: string;
      provider: 'GOOGLE' | 'MICROSOFT';
      authorization_code: string;
      redirect_uri: string;
      calendar_id: string;
      code_verifier: string;
    }
  | {
      connection_id?: string;
      provider: 'ICAL';
      server_url: string;
      username: string;
      password: string;
      calendar_id: string;
    };

async function call<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path.startsWith('/api/') ? path : `/api/v1/calendar${path}`, {
      method,
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached: calendars need a connection.');
  }
  if (!response.ok) {
    let error: { code?: string; message?: string; fields?: { field: string; message: string }[] } =
      {};
    try {
      error = ((await response.json()) as { error?: typeof error }).error ?? {};
    } catch {
      // Not our error shape (a proxy's page): the status says enough.
    }
    throw new ApiError(
      response.status,
      error.code ?? 'error',
      error.message ?? `${response.status} ${response.statusText}`,
      error.fields ?? [],
    );
  }
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

export const calendarApi = {
  providers: (s: Session) =>
    call<{ providers: ProviderInfo[] }>(s, 'GET', '/providers').then((r) => r.providers),
  connections: (s: Session) =>
    call<{ connections: Connection[] }>(s, 'GET', '/connections').then((r) => r.connections),
  connect: (s: Session, body: ConnectRequest) => call<Connection>(s, 'POST', '/connect', body),
  update: (
    s: Session,
    id: string,
    patch: { sync_enabled?: boolean; sync_delete_enabled?: boolean },
  ) => call<Connection>(s, 'PATCH', `/connections/${encodeURIComponent(id)}`, patch),
  disconnect: (s: Session, id: string) =>
    call<void>(s, 'DELETE', `/connections/${encodeURIComponent(id)}`),
  sync: (s: Session, id: string) =>
    call<{ job_id: string; status_url: string }>(s, 'POST', `/sync/${encodeURIComponent(id)}`),
  job: (s: Session, statusUrl: string) => call<SyncJob>(s, 'GET', statusUrl),
};

import { ApiError, type Session } from './session.js';

/** What the admin sees of an account (`GET /api/v1/admin/users`). */
export interface AdminUser {
  id: string;
  email: string;
  username: string;
  full_name: string;
  role: 'user' | 'admin';
  is_active: boolean;
  created_at: string;
  last_login: string | null;
}

export interface CreatedInvite {
  token: string;
  path: string;
  expires_at: string;
}

async function call<T>(session: Session, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${session.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = (await response.json().catch(() => null)) as
    | (T & { error?: { code: string; message: string } })
    | null;
  if (!response.ok) {
    throw new ApiError(
      response.status,
      payload?.error?.code ?? 'error',
      payload?.error?.message ?? response.statusText,
    );
  }
  return payload as T;
}

/** The role of the signed-in account (`GET /auth/me`); null when it cannot be had now. */
export async function fetchAccountRole(session: Session): Promise<'user' | 'admin' | null> {
  try {
    const me = await call<{ role?: unknown }>(session, 'GET', '/auth/me');
    return me.role === 'admin' || me.role === 'user' ? me.role : null;
  } catch {
    return null;
  }
}

export const listUsers = (session: Session) =>
  call<{ users: AdminUser[]; total: number }>(session, 'GET', '/admin/users?limit=500');

export const setUserActive = (session: Session, id: string, active: boolean) =>
  call<AdminUser>(session, 'POST', `/admin/users/${id}/${active ? 'enable' : 'disable'}`);

export const createInvite = (session: Session, expiresInDays: number) =>
  call<CreatedInvite>(session, 'POST', '/admin/invites', { expires_in_days: expiresInDays });

/** A job queue's figures: jobs due and not done, and the oldest one's wait. */
export interface JobQueueHealth {
  depth: number;
  oldest_age_seconds: number;
}

/** The server's health as an admin reads it (`GET /api/v1/admin/system`). */
export interface SystemHealth {
  generated_at: string;
  database: 'postgres' | 'pglite';
  draining: boolean;
  connections: number;
  rooms: number;
  uncommitted_updates: number;
  uncommitted_bytes: number;
  doc_cache_bytes: number;
  job_queues: { calendar_sync: JobQueueHealth; reminder: JobQueueHealth; email: JobQueueHealth };
  failing_calendar_connections: number;
  recent_errors: {
    time: string;
    level: 'warn' | 'error';
    message: string;
    detail: string | null;
  }[];
}

export const fetchSystemHealth = (session: Session) =>
  call<SystemHealth>(session, 'GET', '/admin/system');

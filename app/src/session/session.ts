/**
 * The signed-in user, kept in localStorage so the app opens offline, with tokens refreshed
 * before the access token expires (one refresh at a time: the server revokes a session whose
 * refresh token is presented twice).
 */
export interface Session {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
}

const KEY = 'tasks.session';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.userId !== 'string' || typeof value.refreshToken !== 'string') return null;
    return value as Session;
  } catch {
    return null; // a corrupt entry means signed out
  }
}

export function saveSession(session: Session | null): void {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface TokenResponse {
  id?: string;
  user_id?: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function readError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; fields?: { field: string; message: string }[] };
    };
    return new ApiError(
      response.status,
      body.error?.code ?? 'error',
      body.error?.message ?? response.statusText,
      body.error?.fields ?? [],
    );
  } catch {
    return new ApiError(response.status, 'error', response.statusText);
  }
}

function toSession(email: string, body: TokenResponse): Session {
  const userId = body.user_id ?? body.id;
  if (!userId) throw new ApiError(500, 'bad_response', 'The server did not say who you are.');
  return {
    userId,
    email,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: Date.now() + body.expires_in * 1000,
  };
}

export async function register(input: {
  email: string;
  username: string;
  password: string;
  fullName: string;
  timezone: string;
  /** The secret of the invite link the user opened (`/?invite=…`). */
  invite?: string | undefined;
}): Promise<Session> {
  const response = await postJson('/api/v1/auth/register', {
    email: input.email,
    username: input.username,
    password: input.password,
    full_name: input.fullName,
    timezone: input.timezone,
    ...(input.invite ? { invite: input.invite } : {}),
  });
  if (response.status !== 201) throw await readError(response);
  return toSession(input.email, (await response.json()) as TokenResponse);
}

export async function signIn(email: string, password: string): Promise<Session> {
  const response = await postJson('/api/v1/auth/login', { email, password });
  if (!response.ok) throw await readError(response);
  return toSession(email, (await response.json()) as TokenResponse);
}

let refreshing: Promise<Session> | null = null;

/** The Web Lock every tab of this origin takes to refresh: one refresh at a time, app-wide. */
const REFRESH_LOCK = 'tasks.session.refresh';

/**
 * A fresh access token; concurrent callers share one refresh, and across tabs one refresh runs
 * at a time (Web Locks): a tab that waited finds the session another tab just refreshed in
 * storage and uses it instead of presenting the same, now rotated, refresh token.
 */
export function refreshSession(session: Session): Promise<Session> {
  refreshing ??= (async () => {
    try {
      const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
      if (!locks) return await exchange(session);
      return await locks.request(REFRESH_LOCK, async () => {
        const stored = loadSession();
        const refreshedElsewhere =
          stored !== null &&
          stored.userId === session.userId &&
          stored.refreshToken !== session.refreshToken;
        return refreshedElsewhere ? stored : exchange(session);
      });
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function exchange(session: Session): Promise<Session> {
  const response = await postJson('/api/v1/auth/refresh', {
    refresh_token: session.refreshToken,
  });
  if (!response.ok) throw await readError(response);
  const next = toSession(session.email, (await response.json()) as TokenResponse);
  saveSession(next);
  return next;
}

export async function signOutRemote(session: Session): Promise<void> {
  // Best effort: offline, the local wipe still signs this device out.
  await postJson('/api/v1/auth/logout', { refresh_token: session.refreshToken }).catch(
    () => undefined,
  );
}

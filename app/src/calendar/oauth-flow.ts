/**
 * The OAuth authorization-code flow with PKCE (RFC 7636, S256) the app runs for Google and
 * Microsoft: a verifier and state kept in sessionStorage across the redirect, and the callback
 * read back from the URL (`/?calendar-callback=1&code=…&state=…`; the app routes by hash, so the
 * callback is a query string the hash router never sees).
 */
export interface OAuthProviderInfo {
  provider: 'GOOGLE' | 'MICROSOFT';
  authorization_url: string;
  client_id: string;
  scope: string;
  extra_params?: Record<string, string>;
}

export interface PendingConnect {
  provider: 'GOOGLE' | 'MICROSOFT';
  verifier: string;
  state: string;
  calendarId: string;
  redirectUri: string;
  /** The connection being renewed (Reconnect), if any. */
  connectionId?: string;
}

const PENDING_KEY = 'tasks.calendar-oauth';
export const CALLBACK_FLAG = 'calendar-callback';

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export const redirectUriFor = (origin: string) => `${origin}/?${CALLBACK_FLAG}=1`;

/** Where to send the browser, with the pending flow saved for the callback. */
export async function authorizationRedirect(
  info: OAuthProviderInfo,
  calendarId: string,
  origin: string,
  storage: Pick<Storage, 'setItem'>,
  connectionId?: string,
): Promise<string> {
  const pending: PendingConnect = {
    provider: info.provider,
    verifier: randomToken(48),
    state: randomToken(16),
    calendarId,
    redirectUri: redirectUriFor(origin),
    ...(connectionId === undefined ? {} : { connectionId }),
  };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(info.authorization_url);
  const params: Record<string, string> = {
    ...info.extra_params,
    response_type: 'code',
    client_id: info.client_id,
    redirect_uri: pending.redirectUri,
    scope: info.scope,
    state: pending.state,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

export type CallbackResult =
  | { kind: 'none' }
  | { kind: 'error'; message: string }
  | { kind: 'code'; code: string; pending: PendingConnect };

/** What the URL the provider sent the user back to says; the pending flow is used up. */
export function readCallback(
  search: string,
  storage: Pick<Storage, 'getItem' | 'removeItem'>,
): CallbackResult {
  const params = new URLSearchParams(search);
  if (params.get(CALLBACK_FLAG) !== '1') return { kind: 'none' };
  const raw = storage.getItem(PENDING_KEY);
  storage.removeItem(PENDING_KEY);
  let pending: PendingConnect | null = null;
  try {
    pending = raw ? (JSON.parse(raw) as PendingConnect) : null;
  } catch {
    pending = null;
  }
  const error = params.get('error');
  if (error) {
    const description = params.get('error_description');
    return {
      kind: 'error',
      message:
        error === 'access_denied'
          ? 'The calendar was not connected: access was declined.'
          : `The provider refused: ${description ?? error}`,
    };
  }
  const code = params.get('code');
  if (!pending || typeof pending.verifier !== 'string') {
    return {
      kind: 'error',
      message: 'This sign-in was not started here (or it expired): connect again.',
    };
  }
  if (params.get('state') !== pending.state) {
    return {
      kind: 'error',
      message: 'The answer did not match the request (state): connect again.',
    };
  }
  if (!code)
    return { kind: 'error', message: 'The provider sent no authorization code: connect again.' };
  return { kind: 'code', code, pending };
}

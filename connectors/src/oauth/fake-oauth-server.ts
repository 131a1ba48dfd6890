import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OAuth 2.0 authorization server's token endpoint (RFC 6749 sections 4.1.3 and 6, PKCE
 * RFC 7636), for tests and local demos of the calendar connections: it stands in for
 * https://oauth2.googleapis.com/token and Microsoft's /oauth2/v2.0/token.
 *
 * `issueCode` plays the consent screen (the user agreed; here is the code the redirect carries);
 * the endpoint then answers as the real ones do: form-encoded requests, client authentication
 * by client_secret_post or client_secret_basic, codes valid once and for a short time, bound to
 * their redirect_uri and PKCE challenge, access tokens with `expires_in` on an injectable clock,
 * refresh (optionally rotating the refresh token, as Microsoft does), and revocation, after
 * which the refresh token is answered `invalid_grant` like Google's "Token has been expired or
 * revoked". Errors are `{ error, error_description }` JSON with 400 or 401.
 */

export interface FakeOAuthServerOptions {
  clientId?: string;
  /** The client's secret; null for a public client (PKCE only, no secret). */
  clientSecret?: string | null;
  /** Seconds an access token lives (default 3600). */
  accessTokenTtlSeconds?: number;
  /** Seconds a code may wait before it is exchanged (default 600). */
  codeTtlSeconds?: number;
  /** Issue a new refresh token at each refresh and retire the old one (Microsoft does). */
  rotateRefreshTokens?: boolean;
  /** Makes the access tokens it issues (default random); tests that share a token with a fake API set it. */
  newAccessToken?: () => string;
  /** With an issuer, codes issued with a `subject` also bring an RS256 ID token. */
  issuer?: string;
  clock?: () => Date;
}

export interface IssueCodeOptions {
  redirectUri: string;
  /** PKCE S256 challenge: base64url(SHA-256(verifier)). */
  codeChallenge?: string;
  scope?: string;
  /** The account, returned as the ID token's `sub` when the server has an issuer. */
  subject?: string;
}

export interface TokenRequestRecord {
  grantType: string;
  /** How the client authenticated: 'basic', 'post' or 'none'. */
  clientAuth: 'basic' | 'post' | 'none';
  hasCodeVerifier: boolean;
  status: number;
  error: string | null;
}

export interface FakeOAuthServer {
  /** The server's origin, ending with `/`. */
  url: string;
  /** The token endpoint (`${url}token`). */
  tokenUrl: string;
  /**
   * The authorization endpoint (`${url}authorize`): consents at once for the client and
   * redirects back to `redirect_uri` with a code and the `state`, as a user clicking "Allow"
   * would. Browser tests and local demos go through the whole redirect flow with it.
   */
  authorizationUrl: string;
  clientId: string;
  clientSecret: string | null;
  issuer: string | null;
  issueCode(options: IssueCodeOptions): string;
  /** The user withdrew the app's access: every token of that grant stops working. */
  revoke(refreshToken: string): void;
  /** Whether an access token is live (issued, not expired, not revoked). */
  isAccessTokenValid(token: string): boolean;
  /** The live refresh tokens (rotation retires old ones). */
  refreshTokens(): string[];
  /** The requests the token endpoint answered, oldest first (no secrets). */
  requests(): TokenRequestRecord[];
  /** Answer the next `count` token requests with this status and error (default 503). */
  failNext(count: number, fault?: { status?: number; error?: string }): void;
  close(): Promise<void>;
}

interface Grant {
  id: string;
  scope: string;
  subject: string | null;
  revoked: boolean;
}

interface Code {
  grant: Grant;
  redirectUri: string;
  challenge: string | null;
  expiresAt: number;
  used: boolean;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}

class OAuthFault extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

const MAX_BODY_BYTES = 64 * 1024;
/** A test fake still keeps bounded state: the oldest records go first. */
const MAX_RECORDS = 10_000;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > MAX_RECORDS) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(new OAuthFault(400, 'invalid_request', 'request body too large'));
        return;
      }
      resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signIdToken(key: KeyObject, claims: Record<string, unknown>): string {
  const input = `${base64url({ alg: 'RS256', typ: 'JWT', kid: 'fake' })}.${base64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

export async function startFakeOAuthServer(
  options: FakeOAuthServerOptions = {},
): Promise<FakeOAuthServer> {
  const clientId = options.clientId ?? 'fake-client-id.apps.example.com';
  const clientSecret =
    options.clientSecret === undefined
      ? `secret-${randomBytes(12).toString('hex')}`
      : options.clientSecret;
  const accessTtl = options.accessTokenTtlSeconds ?? 3600;
  const codeTtl = options.codeTtlSeconds ?? 600;
  const clock = options.clock ?? (() => new Date());
  const newAccessToken = options.newAccessToken ?? (() => token('fake-at.'));
  const issuer = options.issuer ?? null;
  const signingKey = issuer ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : null;
  const codes = new Map<string, Code>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, Grant>();
  const recorded: TokenRequestRecord[] = [];
  const faults: { status: number; error: string; remaining: number }[] = [];
  const now = () => clock().getTime();

  function authenticate(
    request: IncomingMessage,
    form: URLSearchParams,
  ): 'basic' | 'post' | 'none' {
    const header = request.headers.authorization;
    let id: string | null = null;
    let secret: string | null = null;
    let method: 'basic' | 'post' | 'none' = 'none';
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
      id = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '));
      method = 'basic';
    } else if (form.has('client_secret')) {
      id = form.get('client_id');
      secret = form.get('client_secret');
      method = 'post';
    } else {
      id = form.get('client_id');
    }
    const secretMatches = clientSecret === null ? secret === null : secret === clientSecret;
    if (id !== clientId || !secretMatches) {
      throw new OAuthFault(401, 'invalid_client', 'Client authentication failed.');
    }
    return method;
  }

  function issueTokens(grant: Grant, withRefresh: string | null): Record<string, unknown> {
    const accessToken = newAccessToken();
    remember(accessTokens, accessToken, { grant, expiresAt: now() + accessTtl * 1000 });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTtl,
      scope: grant.scope,
    };
    if (withRefresh) body.refresh_token = withRefresh;
    if (signingKey && issuer && grant.subject) {
      const issuedAt = Math.floor(now() / 1000);
      body.id_token = signIdToken(signingKey, {
        iss: issuer,
        aud: clientId,
        sub: grant.subject,
        iat: issuedAt,
        exp: issuedAt + accessTtl,
      });
    }
    return body;
  }

  function exchangeCode(form: URLSearchParams, pkceOnly: boolean): Record<string, unknown> {
    const code = codes.get(form.get('code') ?? '');
    if (!code) throw new OAuthFault(400, 'invalid_grant', 'Malformed auth code.');
    if (code.used) {
      // RFC 6749 4.1.2: a code used twice revokes what it was exchanged for.
      code.grant.revoked = true;
      throw new OAuthFault(400, 'invalid_grant', 'The authorization code was already redeemed.');
    }
    code.used = true;
    if (now() > code.expiresAt) {
      throw new OAuthFault(400, 'invalid_grant', 'The authorization code has expired.');
    }
    if (form.get('redirect_uri') !== code.redirectUri) {
      throw new OAuthFault(400, 'redirect_uri_mismatch', 'Bad Request');
    }
    const verifier = form.get('code_verifier');
    if (code.challenge !== null) {
      if (verifier === null || s256(verifier) !== code.challenge) {
        throw new OAuthFault(
          400,
          'invalid_grant',
          'The code_verifier does not match the challenge.',
        );
      }
    } else if (verifier !== null) {
      throw new OAuthFault(400, 'invalid_grant', 'No code_challenge was sent for this code.');
    }
    if (pkceOnly && code.challenge === null) {
      throw new OAuthFault(400, 'invalid_request', 'A public client must use PKCE.');
    }
    const refresh = token('fake-rt.');
    remember(refreshTokens, refresh, code.grant);
    return issueTokens(code.grant, refresh);
  }

  function refresh(form: URLSearchParams): Record<string, unknown> {
    const presented = form.get('refresh_token') ?? '';
    const grant = refreshTokens.get(presented);
    if (!grant || grant.revoked) {
      throw new OAuthFault(400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    if (!options.rotateRefreshTokens) return issueTokens(grant, null);
    refreshTokens.delete(presented);
    const next = token('fake-rt.');
    remember(refreshTokens, next, grant);
    return issueTokens(grant, next);
  }

  function issueCode(codeOptions: IssueCodeOptions): string {
    const code = token('fake-code.');
    const grant: Grant = {
      id: token(''),
      scope: codeOptions.scope ?? 'calendar',
      subject: codeOptions.subject ?? null,
      revoked: false,
    };
    remember(codes, code, {
      grant,
      redirectUri: codeOptions.redirectUri,
      challenge: codeOptions.codeChallenge ?? null,
      expiresAt: now() + codeTtl * 1000,
      used: false,
    });
    return code;
  }

  /** GET /authorize: the user's consent, given at once; errors as the provider's page shows them. */
  function authorize(url: URL): { location: string } {
    const query = url.searchParams;
    const redirectUri = query.get('redirect_uri');
    if (query.get('client_id') !== clientId) {
      throw new OAuthFault(400, 'invalid_client', 'The OAuth client was not found.');
    }
    if (!redirectUri || !URL.canParse(redirectUri)) {
      throw new OAuthFault(400, 'invalid_request', 'Missing or invalid redirect_uri.');
    }
    if (query.get('response_type') !== 'code') {
      throw new OAuthFault(400, 'unsupported_response_type', 'Only response_type=code.');
    }
    const challenge = query.get('code_challenge');
    if (challenge !== null && query.get('code_challenge_method') !== 'S256') {
      throw new OAuthFault(400, 'invalid_request', 'code_challenge_method must be S256.');
    }
    const back = new URL(redirectUri);
    back.searchParams.set(
      'code',
      issueCode({
        redirectUri,
        ...(challenge === null ? {} : { codeChallenge: challenge }),
        ...(query.get('scope') === null ? {} : { scope: query.get('scope') as string }),
      }),
    );
    const state = query.get('state');
    if (state !== null) back.searchParams.set('state', state);
    return { location: back.href };
  }

  async function answer(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') throw new OAuthFault(404, 'not_found', 'No such endpoint.');
    if (request.method !== 'POST') throw new OAuthFault(405, 'invalid_request', 'Use POST.');
    const type = request.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      throw new OAuthFault(400, 'invalid_request', 'The body must be form-urlencoded.');
    }
    const form = await readForm(request);
    const grantType = form.get('grant_type') ?? '';
    const record: TokenRequestRecord = {
      grantType,
      clientAuth: 'none',
      hasCodeVerifier: form.has('code_verifier'),
      status: 200,
      error: null,
    };
    recorded.push(record);
    if (recorded.length > MAX_RECORDS) recorded.shift();
    try {
      const fault = faults[0];
      if (fault) {
        fault.remaining -= 1;
        if (fault.remaining <= 0) faults.shift();
        throw new OAuthFault(fault.status, fault.error, 'Injected failure.');
      }
      record.clientAuth = authenticate(request, form);
      if (grantType === 'authorization_code') {
        return { status: 200, body: exchangeCode(form, clientSecret === null) };
      }
      if (grantType === 'refresh_token') return { status: 200, body: refresh(form) };
      throw new OAuthFault(400, 'unsupported_grant_type', `Unsupported grant_type ${grantType}.`);
    } catch (error) {
      if (error instanceof OAuthFault) {
        record.status = error.status;
        record.error = error.error;
      }
      throw error;
    }
  }

  function send(response: ServerResponse, status: number, body: unknown): void {
    response
      .writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
      })
      .end(JSON.stringify(body));
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (path.pathname === '/authorize' && request.method === 'GET') {
      try {
        response.writeHead(302, { Location: authorize(path).location }).end();
      } catch (error) {
        if (!(error instanceof OAuthFault)) throw error;
        send(response, error.status, { error: error.error, error_description: error.description });
      }
      return;
    }
    answer(request).then(
      (reply) => send(response, reply.status, reply.body),
      (error: unknown) => {
        if (error instanceof OAuthFault) {
          send(response, error.status, {
            error: error.error,
            error_description: error.description,
          });
          return;
        }
        console.error('fake OAuth server failed:', error);
        send(response, 500, { error: 'server_error', error_description: 'fake failed' });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  return {
    url,
    tokenUrl: `${url}token`,
    authorizationUrl: `${url}authorize`,
    clientId,
    clientSecret,
    issuer,
    issueCode,
    revoke(refreshToken) {
      const grant = refreshTokens.get(refreshToken);
      if (grant) grant.revoked = true;
    },
    isAccessTokenValid(accessToken) {
      const found = accessTokens.get(accessToken);
      return found !== undefined && !found.grant.revoked && now() < found.expiresAt;
    },
    refreshTokens: () =>
      [...refreshTokens.entries()].filter(([, grant]) => !grant.revoked).map(([key]) => key),
    requests: () => recorded.map((record) => ({ ...record })),
    failNext(count, fault = {}) {
      if (count > 0) {
        faults.push({
          status: fault.status ?? 503,
          error: fault.error ?? 'temporarily_unavailable',
          remaining: count,
        });
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

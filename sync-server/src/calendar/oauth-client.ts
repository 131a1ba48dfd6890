import * as oauth from 'oauth4webapi';
import type { OAuthProviderConfig } from './oauth-config.js';
import { isLoopbackHttp } from './oauth-config.js';

/**
 * The authorization-code exchange and refresh of a provider's token endpoint (RFC 6749 4.1.3
 * and 6, PKCE RFC 7636), over oauth4webapi: it sends the form, authenticates the client
 * (client_secret_post, or none for a public client), checks the answer's shape and any ID
 * token's issuer, audience and lifetime. Errors come out typed: `InvalidGrantError` when the
 * provider refuses the code or the refresh token (`invalid_grant`: revoked, expired, used),
 * `OAuthUnavailableError` when it cannot be reached or fails, `OAuthRejectedError` otherwise.
 * Tokens never appear in an error's message.
 */
export interface TokenSet {
  accessToken: string;
  /** Null when the provider sent none (a refresh that keeps the current one). */
  refreshToken: string | null;
  /** Null when the provider gave no `expires_in`. */
  expiresAt: Date | null;
  scope: string | null;
  /** The account (`sub` of the ID token), when the provider returned an ID token. */
  subject: string | null;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  /** The PKCE verifier the client made the challenge from, when it used PKCE. */
  codeVerifier?: string | undefined;
}

export interface OAuthClient {
  exchangeCode(request: CodeExchange): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
}

export class OAuthError extends Error {
  constructor(
    message: string,
    /** The OAuth error code (`invalid_grant`, `invalid_client`, ...) or a local one. */
    readonly code: string,
    /** The HTTP status of the token endpoint's answer, when there was one. */
    readonly status: number | null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The grant is refused: the code is bad or used, or the refresh token was revoked or expired. */
export class InvalidGrantError extends OAuthError {}
/** The token endpoint could not be reached, timed out, or failed on its side (5xx). */
export class OAuthUnavailableError extends OAuthError {}
/** Any other refusal (a misconfigured client, an answer that is not OAuth). */
export class OAuthRejectedError extends OAuthError {}

export interface OAuthClientDeps {
  /** Names the provider in messages ("Google"). */
  providerLabel: string;
  clock: () => Date;
  fetch?: typeof globalThis.fetch;
  /** Per request (default 15 s): a hung token endpoint fails, it does not hang a request. */
  timeoutMs?: number;
}

const MAX_DESCRIPTION = 200;

/** What the token endpoint needs of a provider's configuration. */
export type TokenEndpointConfig = Pick<
  OAuthProviderConfig,
  'clientId' | 'clientSecret' | 'tokenUrl' | 'issuer'
>;

export function createOAuthClient(config: TokenEndpointConfig, deps: OAuthClientDeps): OAuthClient {
  const as: oauth.AuthorizationServer = {
    issuer: config.issuer,
    token_endpoint: config.tokenUrl,
  };
  const clientAuth = config.clientSecret
    ? oauth.ClientSecretPost(config.clientSecret)
    : oauth.None();
  const label = deps.providerLabel;
  const timeoutMs = deps.timeoutMs ?? 15_000;

  // oauth4webapi reads the wall clock for ID token times; the skew makes it read ours.
  const client = (): oauth.Client => ({
    client_id: config.clientId,
    [oauth.clockSkew]: Math.round((deps.clock().getTime() - Date.now()) / 1000),
  });
  const options = () => ({
    signal: AbortSignal.timeout(timeoutMs),
    ...(isLoopbackHttp(config.tokenUrl) ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(deps.fetch ? { [oauth.customFetch]: deps.fetch } : {}),
  });

  function tokenSet(
    result: oauth.TokenEndpointResponse,
    requestedAt: Date,
    keepRefresh: string | null,
  ): TokenSet {
    const claims = oauth.getValidatedIdTokenClaims(result);
    return {
      accessToken: result.access_token,
      refreshToken: result.refresh_token ?? keepRefresh,
      expiresAt:
        result.expires_in === undefined
          ? null
          : new Date(requestedAt.getTime() + result.expires_in * 1000),
      scope: result.scope ?? null,
      subject: claims?.sub ?? null,
    };
  }

  async function call<R>(what: string, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      throw typedError(label, what, error);
    }
  }

  return {
    exchangeCode(request) {
      return call('exchange the authorization code', async () => {
        const c = client();
        const requestedAt = deps.clock();
        // The app already checked `state` on its redirect: the server only gets the code.
        const parameters = oauth.validateAuthResponse(
          as,
          c,
          new URLSearchParams({ code: request.code }),
          oauth.skipStateCheck,
        );
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          c,
          clientAuth,
          parameters,
          request.redirectUri,
          request.codeVerifier ?? oauth.nopkce,
          options(),
        );
        return tokenSet(
          await oauth.processAuthorizationCodeResponse(as, c, response),
          requestedAt,
          null,
        );
      });
    },
    refresh(refreshToken) {
      return call('refresh the access token', async () => {
        const c = client();
        const requestedAt = deps.clock();
        const response = await oauth.refreshTokenGrantRequest(
          as,
          c,
          clientAuth,
          refreshToken,
          options(),
        );
        return tokenSet(
          await oauth.processRefreshTokenResponse(as, c, response),
          requestedAt,
          refreshToken,
        );
      });
    },
  };
}

function clamp(text: string): string {
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;
}

function typedError(label: string, what: string, error: unknown): OAuthError {
  if (error instanceof oauth.ResponseBodyError) {
    const detail = error.error_description ? `: ${clamp(error.error_description)}` : '';
    const message = `${label} refused to ${what} (${error.error}${detail})`;
    if (error.error === 'invalid_grant') {
      return new InvalidGrantError(message, error.error, error.status);
    }
    if (error.status >= 500 || error.error === 'temporarily_unavailable') {
      return new OAuthUnavailableError(message, error.error, error.status);
    }
    return new OAuthRejectedError(message, error.error, error.status);
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const scheme = error.cause[0]?.scheme ?? 'unknown';
    return new OAuthRejectedError(
      `${label} refused this server's client credentials (${error.status}, ${scheme} challenge) when asked to ${what}`,
      'invalid_client',
      error.status,
    );
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? error.cause.status : null;
    if (status !== null && status >= 500) {
      return new OAuthUnavailableError(
        `${label}'s token endpoint failed (${status}) when asked to ${what}`,
        'server_error',
        status,
      );
    }
    return new OAuthRejectedError(
      `${label}'s token endpoint gave an answer that is not valid OAuth when asked to ${what}: ${clamp(error.message)}`,
      error.code ?? 'invalid_response',
      status,
    );
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new OAuthUnavailableError(
      `${label}'s token endpoint did not answer in time when asked to ${what}`,
      'timeout',
      null,
    );
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = error.cause instanceof Error ? `: ${clamp(error.cause.message)}` : '';
    return new OAuthUnavailableError(
      `${label}'s token endpoint could not be reached to ${what}${cause}`,
      'unreachable',
      null,
    );
  }
  if (error instanceof Error) {
    return new OAuthRejectedError(
      `${label}: could not ${what}: ${clamp(error.message)}`,
      'client_error',
      null,
    );
  }
  return new OAuthRejectedError(`${label}: could not ${what}`, 'client_error', null);
}

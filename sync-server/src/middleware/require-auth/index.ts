import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import {
  type AccessClaims,
  InvalidTokenError,
  type TokenService,
} from '../../auth/token-service.js';
import { HttpError } from '../../http/http-error.js';

export interface AuthVariables {
  /** Who the request acts for, set by `requireAuth`. */
  auth: AccessClaims;
}

declare module 'hono' {
  interface ContextVariableMap extends AuthVariables {}
}

/** Browsers may keep the access token in an HTTP-only cookie of this name (spec 7.1). */
export const ACCESS_TOKEN_COOKIE = 'access_token';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Lets a request through only with a valid access token, from `Authorization: Bearer` or else
 * the cookie, and sets `c.var.auth`. Routes that accept the cookie for unsafe methods also need
 * CSRF protection (e.g. hono/csrf), which this middleware does not provide.
 */
export const requireAuth = (tokens: Pick<TokenService, 'verifyAccessToken'>): MiddlewareHandler => {
  return async function requireAuth(c, next) {
    const token = bearerToken(c.req.header('Authorization')) ?? getCookie(c, ACCESS_TOKEN_COOKIE);
    if (!token) throw unauthorized('Sign in to continue.', 'Bearer');
    try {
      c.set('auth', await tokens.verifyAccessToken(token));
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      // RFC 6750 section 3: tells clients to refresh rather than to ask for a password.
      throw unauthorized('The access token is invalid or expired.', 'Bearer error="invalid_token"');
    }
    await next();
  };
};

function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

function unauthorized(message: string, challenge: string): HttpError {
  return new HttpError(401, 'unauthorized', message, [], { 'WWW-Authenticate': challenge });
}

import { ConflictError, type FieldError, NotFoundError, ValidationError } from '@tasks/crdt';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../logger.js';
import {
  isStorageOutage,
  QuotaExceededError,
  STORAGE_RETRY_AFTER_SECONDS,
} from '../persistence/storage-unavailable.js';

/** An error with an HTTP status, turned into the one error body shape in `errorResponse`. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const HTTP_CODES: Partial<Record<number, string>> = {
  400: 'malformed_json',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** `{ error: { code, message, fields } }`, for every error the API returns. */
export function errorBody(code: string, message: string, fields: FieldError[] = []) {
  return { error: { code, message, fields } };
}

/** Maps typed errors to responses in one place (Hono `onError`); anything else is a logged 500. */
export function errorResponse(error: Error, c: Context, log: Logger): Response {
  if (error instanceof HttpError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(error.code, error.message, error.fields), error.status);
  }
  if (error instanceof HTTPException) {
    // Hono's own refusals: malformed JSON (400), wrong content type (415), body too large (413).
    const status = error.status as ContentfulStatusCode;
    const code = HTTP_CODES[status] ?? 'bad_request';
    const message = status === 400 ? 'The request body is not valid JSON.' : error.message;
    return c.json(errorBody(code, message), status);
  }
  if (error instanceof ValidationError) {
    return c.json(errorBody(error.code, 'The request has invalid fields.', error.fields), 422);
  }
  if (error instanceof NotFoundError) return c.json(errorBody(error.code, error.message), 404);
  if (error instanceof ConflictError) {
    const fields = error.field ? [{ field: error.field, message: error.message }] : [];
    return c.json(errorBody(error.code, error.message, fields), 409);
  }
  if (error instanceof QuotaExceededError) {
    return c.json(errorBody('quota_exceeded', error.message), 413);
  }
  if (isStorageOutage(error)) {
    log.warn('storage unavailable', { route: routePath(c), error: error.message });
    c.header('Retry-After', String(STORAGE_RETRY_AFTER_SECONDS));
    return c.json(
      errorBody(
        'storage_unavailable',
        'Storage is unavailable; nothing was changed. Try again shortly.',
      ),
      503,
    );
  }
  log.error('unhandled error', { route: routePath(c), error: error.stack ?? String(error) });
  return c.json(errorBody('internal', 'Something went wrong on our side.'), 500);
}

/**
 * Errors of the fake Google Calendar, in the JSON shape the real API answers with
 * (https://developers.google.com/workspace/calendar/api/guides/errors): a status, and an
 * `error.errors[].reason` that clients act on (`fullSyncRequired`, `conditionNotMet`,
 * `rateLimitExceeded`, ...).
 */

export interface GoogleErrorDetail {
  domain: string;
  reason: string;
  message: string;
  locationType?: string;
  location?: string;
}

export interface GoogleErrorBody {
  error: { code: number; message: string; errors: GoogleErrorDetail[]; status?: string };
}

export class GoogleApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly location: string | null = null,
    readonly domain = 'global',
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }

  toBody(): GoogleErrorBody {
    const detail: GoogleErrorDetail = {
      domain: this.domain,
      reason: this.reason,
      message: this.message,
    };
    if (this.location) {
      detail.locationType = this.status === 401 ? 'header' : 'parameter';
      detail.location = this.location;
    }
    return { error: { code: this.status, message: this.message, errors: [detail] } };
  }
}

export const badRequest = (message: string, location: string | null = null): GoogleApiError =>
  new GoogleApiError(400, location ? 'invalidParameter' : 'invalid', message, location);

export const requiredField = (message: string): GoogleApiError =>
  new GoogleApiError(400, 'required', message);

export const notFound = (): GoogleApiError => new GoogleApiError(404, 'notFound', 'Not Found');

/** An event that was deleted: Google answers 410 (not 404) for a second delete. */
export const deleted = (): GoogleApiError =>
  new GoogleApiError(410, 'deleted', 'Resource has been deleted');

export const duplicate = (): GoogleApiError =>
  new GoogleApiError(409, 'duplicate', 'The requested identifier already exists.');

export const conditionNotMet = (): GoogleApiError =>
  new GoogleApiError(412, 'conditionNotMet', 'Precondition Failed', 'If-Match');

export const fullSyncRequired = (): GoogleApiError =>
  new GoogleApiError(
    410,
    'fullSyncRequired',
    'Sync token is no longer valid, a full sync is required.',
    'syncToken',
    'calendar',
  );

export const invalidCredentials = (): GoogleApiError =>
  new GoogleApiError(401, 'authError', 'Invalid Credentials', 'Authorization');

/** What a quota refusal looks like: 403 `rateLimitExceeded` (or `userRateLimitExceeded`) or 429. */
export function rateLimitBody(status: 403 | 429, reason: string): GoogleErrorBody {
  return new GoogleApiError(status, reason, 'Rate Limit Exceeded', null, 'usageLimits').toBody();
}

/** The default body of a scripted fault with this status. */
export function faultBody(status: number): GoogleErrorBody {
  if (status === 429) return rateLimitBody(429, 'rateLimitExceeded');
  if (status === 403) return rateLimitBody(403, 'rateLimitExceeded');
  if (status >= 500) return new GoogleApiError(status, 'backendError', 'Backend Error').toBody();
  return new GoogleApiError(status, 'failed', `Scripted failure ${status}`).toBody();
}

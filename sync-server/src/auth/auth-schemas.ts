import { isValidTimezone } from '@tasks/crdt';
import { z } from 'zod';
import type { User } from './user-store.js';

/** Request bodies of the auth API (spec 5.5), snake_case as on the wire. */

const text = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

const EMAIL_MAX = 254; // RFC 5321's limit on a forward path

export const registerBody = z.object({
  email: text()
    .trim()
    .max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)
    .pipe(z.email('must be a valid email address')),
  username: text().regex(
    /^[A-Za-z0-9_.-]{3,30}$/,
    'must be 3-30 characters: letters, digits, underscore, dot or hyphen',
  ),
  password: text()
    .min(8, 'must be at least 8 characters')
    .max(128, 'must be at most 128 characters'),
  full_name: text().trim().max(100, 'must be at most 100 characters').default(''),
  timezone: text()
    .refine(isValidTimezone, 'must be an IANA time zone such as America/New_York')
    .default('UTC'),
  /** The secret of an invite link (REGISTRATION=invite). */
  invite: text().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
});
export type RegisterBody = z.output<typeof registerBody>;

/**
 * Login by email or, instead, by username. Formats are not checked here: a malformed email
 * simply matches no account, and answers like any wrong credentials.
 */
export const loginBody = z
  .object({
    email: text()
      .trim()
      .min(1, 'must not be empty')
      .max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)
      .optional(),
    username: text()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .optional(),
    // The cap keeps hashing cheap for absurd inputs; no account has a longer password.
    password: text().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
  })
  .superRefine((body, ctx) => {
    if (body.email === undefined && body.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'email or username is required' });
    }
  });
export type LoginBody = z.output<typeof loginBody>;

/** Both /refresh and /logout take the refresh token in the body. */
export const refreshTokenBody = z.object({
  refresh_token: text().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
});

/** The user of spec section 4 as the API shows it: snake_case, never the password hash. */
export function userBody(user: User) {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    full_name: user.fullName,
    timezone: user.timezone,
    preferences: user.preferences,
    role: user.role,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    last_login: user.lastLogin?.toISOString() ?? null,
    is_active: user.isActive,
    is_verified: user.isVerified,
  };
}

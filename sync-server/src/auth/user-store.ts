import { randomUUID } from 'node:crypto';
import { ConflictError } from '@tasks/crdt';
import type { Queryable } from '../db/database.js';
import type { Role } from './token-service.js';

/** A row of `users` (spec section 4, plus the RBAC role of section 7.2). */
export interface User {
  id: string;
  email: string;
  username: string;
  passwordHash: string;
  fullName: string;
  timezone: string;
  preferences: Record<string, unknown>;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
  lastLogin: Date | null;
  isActive: boolean;
  isVerified: boolean;
}

export interface NewUser {
  email: string;
  username: string;
  passwordHash: string;
  fullName: string;
  timezone: string;
  /** `user` unless given (the first account of a server is its admin). */
  role?: Role;
}

export interface UserStore {
  /** Inserts a user; throws ConflictError naming `email` or `username` when one is taken. */
  create(user: NewUser, now: Date): Promise<User>;
  /** The field of `user` an existing account already uses, if any (checked before hashing). */
  findTakenField(user: Pick<NewUser, 'email' | 'username'>): Promise<'email' | 'username' | null>;
  findByEmail(email: string): Promise<User | null>;
  findByUsername(username: string): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  recordLogin(id: string, now: Date): Promise<void>;
  /** Accounts oldest first, a page at a time (the admin's list). */
  list(page: { limit: number; offset: number }): Promise<{ users: User[]; total: number }>;
  /** Enables or disables the account; the user afterwards, or null when there is none. */
  setActive(id: string, active: boolean, now: Date): Promise<User | null>;
}

/**
 * Email and username are unique case-insensitively. The normalized forms live in their own
 * unique columns, so the database enforces it even when two registrations race.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

type UserRow = {
  id: string;
  email: string;
  username: string;
  password_hash: string;
  full_name: string;
  timezone: string;
  preferences: Record<string, unknown>;
  role: Role;
  created_at: Date;
  updated_at: Date;
  last_login: Date | null;
  is_active: boolean;
  is_verified: boolean;
};

const COLUMNS = `id, email, username, password_hash, full_name, timezone, preferences, role,
  created_at, updated_at, last_login, is_active, is_verified`;

export function createUserStore(db: Queryable): UserStore {
  const findOne = async (where: string, value: string) => {
    const [row] = await db.query<UserRow>(`select ${COLUMNS} from users where ${where} = $1`, [
      value,
    ]);
    return row ? toUser(row) : null;
  };
  const store: UserStore = {
    async create(user, now) {
      const rows = await db.query<UserRow>(
        `insert into users (id, email, email_normalized, username, username_normalized,
           password_hash, full_name, timezone, role, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9::timestamptz, $9::timestamptz)
         on conflict do nothing
         returning ${COLUMNS}`,
        [
          randomUUID(),
          user.email,
          normalizeEmail(user.email),
          user.username,
          normalizeUsername(user.username),
          user.passwordHash,
          user.fullName,
          user.timezone,
          now.toISOString(),
          user.role ?? 'user',
        ],
      );
      const [row] = rows;
      if (row) return toUser(row);
      // Lost a race with another registration after the early check: say which field.
      throw takenError((await store.findTakenField(user)) ?? 'email');
    },
    async findTakenField({ email, username }) {
      const rows = await db.query<{ email_taken: boolean; username_taken: boolean }>(
        `select bool_or(email_normalized = $1) as email_taken,
                bool_or(username_normalized = $2) as username_taken
           from users where email_normalized = $1 or username_normalized = $2`,
        [normalizeEmail(email), normalizeUsername(username)],
      );
      if (rows[0]?.email_taken) return 'email';
      if (rows[0]?.username_taken) return 'username';
      return null;
    },
    findByEmail: (email) => findOne('email_normalized', normalizeEmail(email)),
    findByUsername: (username) => findOne('username_normalized', normalizeUsername(username)),
    findById: (id) => findOne('id', id),
    async list({ limit, offset }) {
      const rows = await db.query<UserRow>(
        `select ${COLUMNS} from users order by created_at, id limit $1 offset $2`,
        [limit, offset],
      );
      const [count] = await db.query<{ total: number }>('select count(*)::int as total from users');
      return { users: rows.map(toUser), total: count?.total ?? 0 };
    },
    async setActive(id, active, now) {
      const [row] = await db.query<UserRow>(
        `update users set is_active = $2, updated_at = $3::timestamptz where id = $1
         returning ${COLUMNS}`,
        [id, active, now.toISOString()],
      );
      return row ? toUser(row) : null;
    },
    async recordLogin(id, now) {
      await db.query('update users set last_login = $2::timestamptz where id = $1', [
        id,
        now.toISOString(),
      ]);
    },
  };
  return store;
}

export function takenError(field: 'email' | 'username'): ConflictError {
  const message =
    field === 'email' ? 'An account with this email already exists.' : 'This username is taken.';
  return new ConflictError(message, field);
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    passwordHash: row.password_hash,
    fullName: row.full_name,
    timezone: row.timezone,
    preferences: row.preferences,
    role: row.role,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLogin: row.last_login,
    isActive: row.is_active,
    isVerified: row.is_verified,
  };
}

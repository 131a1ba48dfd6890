import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { REGISTRATION_MODES, type RegistrationMode } from './auth/registration.js';
import { type CalendarConfig, loadCalendarConfig } from './calendar/oauth-config.js';
import { ConfigError } from './config-error.js';
import { parseTrustProxy, type TrustProxy } from './middleware/rate-limit/client-address.js';
import type { TracingConfig } from './observability/start-tracing.js';

export { ConfigError };

/**
 * Server configuration, read once at start from the environment. Every bad value is reported
 * with its variable name and the reason, and the server does not start.
 */
const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be 0-65535')
  .max(65_535, 'must be 0-65535');

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `must be a number (${what})` })
    .int('must be a whole number')
    .positive('must be positive');

const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Redis of a cluster of nodes (fan-out, shared limits). Unset: one process, no Redis. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Prefix of every Redis key and channel: several clusters (or tests) may share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _ . : -')
    .default('tasks:'),
  /** This node's name in the cluster (logs, metrics, Redis messages). Default: host and pid. */
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits or _ . : -')
    .optional(),
  /**
   * After SIGTERM: milliseconds /readyz answers 503 while the node still serves, for the load
   * balancer to notice, before sockets close. Default: 5000 in a cluster (REDIS_URL), else 0.
   */
  SHUTDOWN_DRAIN_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0-600000 milliseconds')
    .max(600_000, 'must be 0-600000 milliseconds')
    .optional(),
  /** Secret that signs access tokens (≥ 32 chars). Unset: one is generated and kept in DATA_DIR. */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Comma-separated origins allowed for CORS and cookie-authenticated websockets. */
  CORS_ORIGINS: z.string().default(''),
  /** Largest websocket message that is not a sync message (sync messages: up to the quota). */
  MAX_FRAME_BYTES: positiveInt('bytes').default(1024 * 1024),
  /** Byte budget of documents loaded for REST and the calendar bridge (LRU), in MiB. */
  DOC_CACHE_MB: positiveInt('MiB').default(256),
  /** Websockets one user may have open at once (each device opens up to three). */
  MAX_SOCKETS_PER_USER: positiveInt('sockets').default(32),
  /** Bytes waiting to be sent to a socket past which a client that does not read is cut. */
  MAX_SEND_BUFFER_BYTES: positiveInt('bytes').default(8 * 1024 * 1024),
  /** Uncommitted bytes past which the relay stops reading sockets until the log catches up. */
  MAX_UNCOMMITTED_MB: positiveInt('MiB').default(64),
  /** Messages one websocket may send per second (sustained; bursts up to 4x). */
  MAX_MESSAGES_PER_SECOND: positiveInt('messages per second').default(200),
  /** Encoded size one user's documents may reach, in bytes. */
  DOC_QUOTA_BYTES: positiveInt('bytes').default(64 * 1024 * 1024),
  /** Milliseconds an update's decoding may take before the connection is closed. */
  DECODE_TIMEOUT_MS: positiveInt('milliseconds').default(2000),
  /** Group commit window: updates arriving within it share one INSERT. */
  COMMIT_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(2),
  /** Updates in a document's log (per MiB of its snapshot) past which it is compacted. */
  COMPACT_AFTER_UPDATES: positiveInt('updates').default(500),
  /** REST requests one user may make per minute (spec 7.4). */
  API_REQUESTS_PER_MINUTE: positiveInt('requests per minute').default(100),
  /** Brute-force brakes on auth, per client address (and per account for login). */
  AUTH_REGISTER_PER_MINUTE: positiveInt('requests per minute').default(5),
  AUTH_LOGIN_PER_MINUTE: positiveInt('requests per minute').default(10),
  AUTH_LOGIN_PER_ACCOUNT_PER_MINUTE: positiveInt('requests per minute').default(5),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Traces are exported to this OTLP/HTTP collector when set; none are recorded otherwise. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/[^/]/, 'must be an http:// or https:// URL')
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('tasks-sync-server'),
  /** Proxies allowed to name the client in X-Forwarded-For: a hop count or CIDRs. */
  TRUST_PROXY: z.string().optional(),
  /** Largest request body of any REST route, in bytes (413 beyond). */
  MAX_BODY_BYTES: positiveInt('bytes').default(1024 * 1024),
  /** Who may register once the first account (the admin) exists. */
  REGISTRATION: z
    .enum(REGISTRATION_MODES, { error: 'must be open, invite or closed' })
    .default('closed'),
  /** Where reminder emails go out (smtp:// or smtps://, with credentials). Unset: no email. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^/]/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Tasks <tasks@localhost>'),
  /** Web Push VAPID keys (URL-safe base64). Unset: generated once into DATA_DIR. */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,90}$/, 'must be a P-256 public key in URL-safe base64')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{40,45}$/, 'must be a P-256 private key in URL-safe base64')
    .optional(),
  /** Who push services contact about this server's pushes (mailto: or https:). */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https:// URL')
    .default('mailto:admin@localhost'),
  /**
   * Worker threads that encrypt pushes and write emails (0: the main thread does). Default: one
   * per core but one, at least one, at most four.
   */
  DELIVERY_THREADS: z.coerce
    .number({ error: 'must be a number (threads)' })
    .int('must be a whole number')
    .min(0, 'must be 0-32')
    .max(32, 'must be 0-32')
    .optional(),
  /** Lets push subscriptions name loopback endpoints (tests with a local push service). */
  PUSH_ALLOW_PRIVATE_ENDPOINTS: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false'),
  /** Bearer token that opens /metrics (and /readyz's counts) on the main listener. */
  METRICS_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  /** A second listener serving only /metrics, for operators (on METRICS_HOST). */
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  /** Set: this node is one of a cluster sharing Redis; null: a single process. */
  redisUrl: string | null;
  redisPrefix: string;
  nodeId: string;
  /** After SIGTERM, how long the node answers /readyz 503 before it closes its sockets. */
  shutdownDrainMs: number;
  authSecret: string | null;
  corsOrigins: string[];
  maxFrameBytes: number;
  docCacheBytes: number;
  maxSocketsPerUser: number;
  maxSendBufferBytes: number;
  maxUncommittedBytes: number;
  maxMessagesPerSecond: number;
  docQuotaBytes: number;
  decodeTimeoutMs: number;
  commitWindowMs: number;
  compactAfterUpdates: number;
  apiRequestsPerMinute: number;
  authLimits: {
    registerPerMinute: number;
    loginPerMinute: number;
    loginPerAccountPerMinute: number;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** OpenTelemetry export (observability/start-tracing.ts); endpoint null: no SDK started. */
  tracing: TracingConfig;
  maxBodyBytes: number;
  /** Who may say the client's address (brakes key on it). */
  trustProxy: TrustProxy;
  /** After the first account (always allowed, the admin): anyone, by invite, or nobody. */
  registration: RegistrationMode;
  /** The calendar bridge's variables (calendar/oauth-config.ts). */
  calendar: CalendarConfig;
  notifications: NotificationConfig;
  metrics: MetricsConfig;
}

/**
 * Who reads /metrics: with `token`, its bearer on the main listener; with `port`, anyone who
 * reaches that admin-only listener (and the token too, when both are set). Neither: not served.
 */
export interface MetricsConfig {
  token: string | null;
  port: number | null;
  host: string;
}

export interface NotificationConfig {
  smtpUrl: string | null;
  mailFrom: string;
  /** Both keys, or null to use (and on first start create) the ones kept in DATA_DIR. */
  vapidKeys: { publicKey: string; privateKey: string } | null;
  vapidSubject: string;
  pushAllowPrivateEndpoints: boolean;
  /** Threads that send pushes and emails; 0: the main thread. */
  deliveryThreads: number;
}

/** Reads the configuration; empty strings count as unset. Throws ConfigError listing problems. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = envSchema.safeParse(present);
  // Every bad variable at once, the calendar's included.
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  let calendar: CalendarConfig | null = null;
  try {
    calendar = loadCalendarConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (typeof trustProxy === 'string') problems.push(`TRUST_PROXY: ${trustProxy}`);
  if (
    result.success &&
    (result.data.VAPID_PUBLIC_KEY === undefined) !== (result.data.VAPID_PRIVATE_KEY === undefined)
  ) {
    problems.push('VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both or neither');
  }
  if (
    result.success &&
    result.data.METRICS_PORT !== undefined &&
    result.data.METRICS_PORT !== 0 &&
    result.data.METRICS_PORT === result.data.PORT
  ) {
    problems.push('METRICS_PORT: must differ from PORT (the metrics have a listener of their own)');
  }
  if (!result.success || calendar === null || typeof trustProxy === 'string' || problems.length > 0)
    throw new ConfigError(problems);
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? null,
    redisUrl: e.REDIS_URL ?? null,
    redisPrefix: e.REDIS_PREFIX,
    nodeId: e.NODE_ID ?? `${os.hostname()}:${process.pid}`,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS ?? (e.REDIS_URL ? 5000 : 0),
    authSecret: e.AUTH_SECRET ?? null,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    maxFrameBytes: e.MAX_FRAME_BYTES,
    docCacheBytes: e.DOC_CACHE_MB * 1024 * 1024,
    maxSocketsPerUser: e.MAX_SOCKETS_PER_USER,
    maxSendBufferBytes: e.MAX_SEND_BUFFER_BYTES,
    maxUncommittedBytes: e.MAX_UNCOMMITTED_MB * 1024 * 1024,
    maxMessagesPerSecond: e.MAX_MESSAGES_PER_SECOND,
    docQuotaBytes: e.DOC_QUOTA_BYTES,
    decodeTimeoutMs: e.DECODE_TIMEOUT_MS,
    commitWindowMs: e.COMMIT_WINDOW_MS,
    compactAfterUpdates: e.COMPACT_AFTER_UPDATES,
    apiRequestsPerMinute: e.API_REQUESTS_PER_MINUTE,
    authLimits: {
      registerPerMinute: e.AUTH_REGISTER_PER_MINUTE,
      loginPerMinute: e.AUTH_LOGIN_PER_MINUTE,
      loginPerAccountPerMinute: e.AUTH_LOGIN_PER_ACCOUNT_PER_MINUTE,
    },
    logLevel: e.LOG_LEVEL,
    tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT ?? null, serviceName: e.OTEL_SERVICE_NAME },
    registration: e.REGISTRATION,
    maxBodyBytes: e.MAX_BODY_BYTES,
    trustProxy,
    calendar,
    notifications: {
      smtpUrl: e.SMTP_URL ?? null,
      mailFrom: e.MAIL_FROM,
      vapidKeys:
        e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY
          ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY }
          : null,
      vapidSubject: e.VAPID_SUBJECT,
      pushAllowPrivateEndpoints: e.PUSH_ALLOW_PRIVATE_ENDPOINTS === 'true',
      deliveryThreads:
        e.DELIVERY_THREADS ?? Math.min(4, Math.max(1, os.availableParallelism() - 1)),
    },
    metrics: {
      token: e.METRICS_TOKEN ?? null,
      port: e.METRICS_PORT ?? null,
      host: e.METRICS_HOST,
    },
  };
}

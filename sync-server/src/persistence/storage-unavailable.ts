/** Storage refused a commit or a read: the write is not durable and was not shown to anyone. */
export class StorageUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('Storage is unavailable; try again shortly.', { cause });
    this.name = 'StorageUnavailableError';
  }
}

/** Seconds a client should wait before retrying while storage is down. */
export const STORAGE_RETRY_AFTER_SECONDS = 2;

// Errors of postgres.js and Node's sockets that mean "the database cannot be reached now".
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
]);

/** Whether `error` says storage is down (as opposed to a bug or a refused statement). */
export function isStorageOutage(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== error && isStorageOutage(cause);
}

/** A write would take the user's stored documents past their quota; nothing was changed. */
export class QuotaExceededError extends Error {
  constructor(readonly limitBytes: number) {
    super(
      `This change would take your stored documents past the quota of ${Math.round(limitBytes / (1024 * 1024))} MiB; nothing was changed.`,
    );
    this.name = 'QuotaExceededError';
  }
}

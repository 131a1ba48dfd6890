import type { Logger } from '../logger.js';
import type { AppendEntry, DocStore } from './doc-store.js';

interface Waiting extends AppendEntry {
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
  /** True when the update must no longer be written (its sender failed before its batch). */
  abandoned?: () => boolean;
}

/** The update was dropped before its batch was written, because its sender had failed. */
export class AbandonedUpdateError extends Error {
  constructor() {
    super('update abandoned before commit');
    this.name = 'AbandonedUpdateError';
  }
}

export interface UpdateLogOptions {
  /** How long the first update of a batch waits for company (ms). 0: only what queued meanwhile. */
  commitWindowMs: number;
  /** Largest batch in one transaction. */
  maxBatch?: number;
  /**
   * Bytes of uncommitted updates past which the log reports pressure (`onPressure(true)`), so
   * the relay stops reading sockets; it reports relief below half of it.
   */
  maxQueuedBytes?: number;
}

/**
 * Group commit: updates of every document are queued and written by one transaction per batch,
 * one batch in flight at a time. While a batch commits, the next one fills up, so under load the
 * batch grows instead of the queue of round trips. `append` resolves with the update's sequence
 * number once the database has committed it: only then may anyone call it durable.
 */
export class UpdateLog {
  private queue: Waiting[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Settles with each appended update's commit (or failure): what `flush` waits for. */
  private readonly unsettled = new Set<Promise<void>>();
  private queuedBytes = 0;
  private pressured = false;
  private readonly pressureListeners = new Set<(pressured: boolean) => void>();

  constructor(
    private readonly store: DocStore,
    private readonly log: Logger,
    private readonly options: UpdateLogOptions,
  ) {}

  /**
   * Queues an update; resolves with its sequence number once committed. `abandoned` is asked
   * just before the batch is written: an update whose sender already failed is not written.
   */
  append(
    name: string,
    ownerId: string,
    update: Uint8Array,
    abandoned?: () => boolean,
  ): Promise<number> {
    const committed = new Promise<number>((resolve, reject) => {
      this.queue.push({
        name,
        ownerId,
        update,
        resolve,
        reject,
        ...(abandoned ? { abandoned } : {}),
      });
      this.queuedBytes += update.byteLength;
      this.peakUncommittedBytes = Math.max(this.peakUncommittedBytes, this.queuedBytes);
      this.checkPressure();
      this.schedule();
    });
    const settled = committed.then(
      () => undefined,
      () => undefined,
    );
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
    return committed;
  }

  /** Pending updates waiting for their batch. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Bytes of updates appended and not yet committed (or failed). */
  get uncommittedBytes(): number {
    return this.queuedBytes;
  }

  /** The most uncommitted bytes there ever were at once. */
  peakUncommittedBytes = 0;

  /** Tells `listener` when the uncommitted bytes cross the limit and when they fall back. */
  onPressure(listener: (pressured: boolean) => void): () => void {
    this.pressureListeners.add(listener);
    return () => this.pressureListeners.delete(listener);
  }

  private checkPressure(): void {
    const limit = this.options.maxQueuedBytes;
    if (limit === undefined) return;
    const next = this.pressured ? this.queuedBytes > limit / 2 : this.queuedBytes > limit;
    if (next === this.pressured) return;
    this.pressured = next;
    for (const listener of this.pressureListeners) listener(next);
  }

  private schedule(): void {
    if (this.flushing || this.timer) return;
    if (this.options.commitWindowMs === 0) {
      queueMicrotask(() => this.startFlush());
      this.timer = null;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startFlush();
    }, this.options.commitWindowMs);
  }

  private startFlush(): void {
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch ?? 5_000);
    this.flushing = this.write(batch).finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.startFlush();
    });
  }

  private async write(queued: Waiting[]): Promise<void> {
    const batch: Waiting[] = [];
    for (const entry of queued) {
      if (entry.abandoned?.()) entry.reject(new AbandonedUpdateError());
      else batch.push(entry);
    }
    try {
      const seqs = batch.length > 0 ? await this.store.appendBatch(batch) : [];
      for (const [index, entry] of batch.entries()) entry.resolve(seqs[index] ?? 0);
    } catch (error) {
      this.log.error('update batch failed to commit', {
        updates: batch.length,
        error: (error as Error).message,
      });
      for (const entry of batch) entry.reject(error as Error);
    } finally {
      for (const entry of queued) this.queuedBytes -= entry.update.byteLength;
      this.checkPressure();
    }
  }

  /**
   * Resolves once every update appended before the call has been committed (or has failed),
   * whatever is appended meanwhile: a barrier, not a wait for the log to be idle.
   */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.startFlush();
    }
    if (this.unsettled.size === 0) return Promise.resolve();
    return Promise.all([...this.unsettled]).then(() => undefined);
  }
}

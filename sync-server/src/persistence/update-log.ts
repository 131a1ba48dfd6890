import type { Logger } from '../logger.js';
import type { AppendEntry, DocStore } from './doc-store.js';

interface Waiting extends AppendEntry {
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
}

export interface UpdateLogOptions {
  /** How long the first update of a batch waits for company (ms). 0: only what queued meanwhile. */
  commitWindowMs: number;
  /** Largest batch in one transaction. */
  maxBatch?: number;
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
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: DocStore,
    private readonly log: Logger,
    private readonly options: UpdateLogOptions,
  ) {}

  append(name: string, ownerId: string, update: Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ name, ownerId, update, resolve, reject });
      this.schedule();
    });
  }

  /** Pending updates waiting for their batch. */
  get backlog(): number {
    return this.queue.length;
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
    if (this.flushing || this.queue.length === 0) {
      if (!this.flushing && this.queue.length === 0) this.notifyIdle();
      return;
    }
    const batch = this.queue.splice(0, this.options.maxBatch ?? 5_000);
    this.flushing = this.write(batch).finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.startFlush();
      else this.notifyIdle();
    });
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      const seqs = await this.store.appendBatch(batch);
      for (const [index, entry] of batch.entries()) entry.resolve(seqs[index] ?? 0);
    } catch (error) {
      this.log.error('update batch failed to commit', {
        updates: batch.length,
        error: (error as Error).message,
      });
      for (const entry of batch) entry.reject(error as Error);
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when every update appended so far has been committed (or has failed). */
  flush(): Promise<void> {
    if (!this.flushing && this.queue.length === 0 && !this.timer) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        this.startFlush();
      }
    });
  }
}

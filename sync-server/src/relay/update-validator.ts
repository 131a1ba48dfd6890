import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Decodes client updates in a worker thread with a time bound. A tiny Yjs update can declare a
 * huge struct count that the decoder loops over forever (yjs issue 687): no size check tells it
 * from a real update, so the only defence is to stop a decode that takes too long. The worker is
 * terminated and replaced; the main thread, and every other client, never notice.
 */
export class UpdateDecodeError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'UpdateDecodeError';
  }
}

// An eval'd CommonJS worker: it works the same from TypeScript sources (tests) and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Y = require(workerData.yjsPath);
parentPort.on('message', ({ id, update }) => {
  try {
    const decoded = Y.decodeUpdate(update);
    parentPort.postMessage({ id, ok: true, structs: decoded.structs.length });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  update: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | null;
}

export interface UpdateValidatorOptions {
  timeoutMs: number;
  /** Heap a decode may use before the worker is stopped (MiB). */
  maxHeapMb?: number;
}

/**
 * The worker decodes in arrival order, so when it hangs or dies the culprit is the oldest update
 * in flight: that one is rejected, the worker replaced, and the rest resubmitted untouched.
 */
export class UpdateValidator {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly yjsPath = createRequire(import.meta.url).resolve('yjs');
  private closed = false;

  constructor(private readonly options: UpdateValidatorOptions) {}

  /** Resolves when `update` decodes within the time bound; rejects with UpdateDecodeError. */
  validate(update: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new UpdateDecodeError('validator closed', false));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { update, resolve, reject, timer: null };
      this.pending.set(id, pending);
      this.submit(id, pending);
    });
  }

  private submit(id: number, pending: Pending): void {
    pending.timer = setTimeout(() => this.replaceWorker(true), this.options.timeoutMs);
    this.ensureWorker().postMessage({ id, update: pending.update });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yjsPath: this.yjsPath },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 256 },
    });
    worker.unref();
    worker.on('message', (message: { id: number; ok: boolean; error?: string }) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (pending.timer) clearTimeout(pending.timer);
      if (message.ok) pending.resolve();
      else pending.reject(new UpdateDecodeError(`malformed update: ${message.error}`, false));
    });
    // A decode that exhausts the worker's heap kills it.
    worker.on('error', () => {
      if (this.worker === worker) this.replaceWorker(false);
    });
    worker.on('exit', () => {
      if (this.worker === worker && !this.closed) this.replaceWorker(false);
    });
    this.worker = worker;
    return worker;
  }

  private replaceWorker(timedOut: boolean): void {
    const stuck = this.worker;
    this.worker = null;
    if (stuck) void stuck.terminate();
    const [culprit, ...rest] = [...this.pending.entries()];
    for (const [, pending] of this.pending) if (pending.timer) clearTimeout(pending.timer);
    if (culprit) {
      this.pending.delete(culprit[0]);
      culprit[1].reject(
        new UpdateDecodeError(
          timedOut ? 'decoding the update took too long' : 'decoding the update exhausted memory',
          timedOut,
        ),
      );
    }
    if (this.closed) return;
    for (const [id, pending] of rest) this.submit(id, pending);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    for (const [id, pending] of this.pending) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(new UpdateDecodeError('validator closed', false));
      this.pending.delete(id);
    }
    if (worker) await worker.terminate();
  }
}

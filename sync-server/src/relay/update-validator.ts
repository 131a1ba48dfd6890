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
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, update }) => {
  try {
    const decoded = Y.decodeUpdate(update);
    const ranges = [];
    for (const struct of decoded.structs) {
      if (struct instanceof Y.Skip) continue;
      ranges.push(struct.id.client, struct.id.clock, struct.length);
    }
    parentPort.postMessage({ id, ok: true, ranges });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: String(error && error.message || error) });
  }
});
`;

interface Pending {
  update: Uint8Array;
  resolve: (ranges: number[]) => void;
  reject: (error: Error) => void;
}

/** Extra decode time granted per MiB of update (real updates decode at 20+ MiB/s here). */
const DEFAULT_MS_PER_MIB = 250;

interface WorkerAnswer {
  ready?: true;
  id: number;
  ok: boolean;
  ranges?: number[];
  error?: string;
}

export interface UpdateValidatorOptions {
  timeoutMs: number;
  /** Extra time per MiB of update on top of `timeoutMs` (default 250 ms). */
  msPerMiB?: number;
  /** Heap a decode may use before the worker is stopped (MiB). */
  maxHeapMb?: number;
}

/**
 * The worker decodes in arrival order, so the update being decoded is always the oldest one in
 * flight: only it is timed, from the moment the worker has loaded Yjs (a worker's start-up is
 * not the update's fault). When it hangs or kills the worker, it alone is rejected; the worker is
 * replaced and the rest resubmitted untouched.
 */
export class UpdateValidator {
  private worker: Worker | null = null;
  private online = false;
  private readonly pending = new Map<number, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly yjsPath = createRequire(import.meta.url).resolve('yjs');
  private closed = false;

  constructor(private readonly options: UpdateValidatorOptions) {}

  /**
   * Resolves with the update's struct ranges (`structRangesOf`) when it decodes within the time
   * bound; rejects with UpdateDecodeError.
   */
  validate(update: Uint8Array): Promise<number[]> {
    if (this.closed) return Promise.reject(new UpdateDecodeError('validator closed', false));
    const id = this.nextId++;
    return new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, { update, resolve, reject });
      this.ensureWorker().postMessage({ id, update });
      this.armHead();
    });
  }

  /**
   * Times the update the worker is decoding now (the oldest), once the worker runs. A large
   * update (a backlog's sync step 2) gets time in proportion to its size on top of the bound:
   * real updates decode at tens of MiB per second, the #687 loop never ends.
   */
  private armHead(): void {
    if (this.timer || !this.online || this.pending.size === 0) return;
    const [head] = this.pending.values();
    const mib = (head?.update.byteLength ?? 0) / (1024 * 1024);
    const timeoutMs =
      this.options.timeoutMs + Math.ceil(mib * (this.options.msPerMiB ?? DEFAULT_MS_PER_MIB));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.replaceWorker(true);
    }, timeoutMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yjsPath: this.yjsPath },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 256 },
    });
    worker.unref();
    this.online = false;
    worker.on('message', (message: WorkerAnswer) => {
      if (this.worker !== worker) return;
      if (message.ready) {
        // Yjs is loaded: from now on a slow answer is the update's doing.
        this.online = true;
        this.armHead();
        return;
      }
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      this.disarm();
      if (message.ok) pending.resolve(message.ranges ?? []);
      else pending.reject(new UpdateDecodeError(`malformed update: ${message.error}`, false));
      this.armHead();
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
    this.online = false;
    this.disarm();
    if (stuck) void stuck.terminate();
    const [culprit] = this.pending;
    if (culprit) {
      this.pending.delete(culprit[0]);
      culprit[1].reject(
        new UpdateDecodeError(
          timedOut ? 'decoding the update took too long' : 'decoding the update exhausted memory',
          timedOut,
        ),
      );
    }
    if (this.closed || this.pending.size === 0) return;
    const worker = this.ensureWorker();
    for (const [id, pending] of this.pending) worker.postMessage({ id, update: pending.update });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    const worker = this.worker;
    this.worker = null;
    for (const [id, pending] of this.pending) {
      pending.reject(new UpdateDecodeError('validator closed', false));
      this.pending.delete(id);
    }
    if (worker) await worker.terminate();
  }
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Work on stored document bytes that costs time in proportion to a document's size, done off the
 * main thread so that one large document never holds the relay: merging a snapshot with its log
 * tail, answering sync step 1 (a diff against the client's state vector), computing the state
 * vector a room announces, and compaction. The inputs are already validated (they were stored),
 * so unlike `UpdateValidator` there is no time bound; a worker that dies fails its tasks and is
 * replaced.
 */

// An eval'd CommonJS worker: it works the same from TypeScript sources (tests) and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Y = require(workerData.yjsPath);

function merged(updates) {
  return updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
}

const tasks = {
  // The stored state as one update, its state vector, and a diff per client state vector.
  state({ updates, stateVectors }) {
    const state = merged(updates);
    const diffs = stateVectors.map((sv) => {
      try {
        return { ok: true, diff: Y.diffUpdate(state, sv) };
      } catch (error) {
        return { ok: false, error: 'invalid state vector' };
      }
    });
    return { state, stateVector: Y.encodeStateVectorFromUpdate(state), diffs };
  },
  // Diffs of one already merged state against client state vectors.
  diff({ state, stateVectors }) {
    const diffs = stateVectors.map((sv) => {
      try {
        return { ok: true, diff: Y.diffUpdate(state, sv) };
      } catch (error) {
        return { ok: false, error: 'invalid state vector' };
      }
    });
    return { diffs };
  },
  // A compacted snapshot: applied to a document, so deleted content is garbage collected;
  // updates still waiting for a missing dependency stay in it (Yjs keeps them pending).
  compact({ updates }) {
    const doc = new Y.Doc({ gc: true });
    doc.transact(() => {
      for (const update of updates) Y.applyUpdate(doc, update);
    });
    const snapshot = Y.encodeStateAsUpdate(doc);
    const stateVector = Y.encodeStateVector(doc);
    doc.destroy();
    return { snapshot, stateVector };
  },
};

parentPort.on('message', ({ id, kind, input }) => {
  try {
    parentPort.postMessage({ id, ok: true, output: tasks[kind](input) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: String((error && error.message) || error) });
  }
});
`;

export type DiffResult = { ok: true; diff: Uint8Array } | { ok: false; error: string };

export interface DocTasks {
  state: {
    input: { updates: Uint8Array[]; stateVectors: Uint8Array[] };
    output: { state: Uint8Array; stateVector: Uint8Array; diffs: DiffResult[] };
  };
  diff: {
    input: { state: Uint8Array; stateVectors: Uint8Array[] };
    output: { diffs: DiffResult[] };
  };
  compact: {
    input: { updates: Uint8Array[] };
    output: { snapshot: Uint8Array; stateVector: Uint8Array };
  };
}

interface Pending {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Retires the worker once it has been idle `idleMs` (set while nothing is pending). */
  idle: NodeJS.Timeout | null;
}

/** A worker idle this long is stopped (its heap goes back to the system); the next task starts one. */
const IDLE_MS = 15_000;

export class DocWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocWorkerError';
  }
}

export class DocWorkers {
  private readonly workers: PoolWorker[] = [];
  private readonly yjsPath = createRequire(import.meta.url).resolve('yjs');
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly maxHeapMb = 1024,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Runs a task on the least busy worker; the result's buffers are the worker's copies. */
  run<K extends keyof DocTasks>(
    kind: K,
    input: DocTasks[K]['input'],
  ): Promise<DocTasks[K]['output']> {
    if (this.closed) return Promise.reject(new DocWorkerError('document workers closed'));
    const target = this.pick();
    const id = this.nextId++;
    if (target.idle) clearTimeout(target.idle);
    target.idle = null;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve: resolve as (output: unknown) => void, reject });
      target.worker.postMessage({ id, kind, input });
    });
  }

  /** Workers running now (they start on demand and stop when idle). */
  get running(): number {
    return this.workers.length;
  }

  /** Tasks waiting or running, over every worker. */
  get queued(): number {
    let total = 0;
    for (const entry of this.workers) total += entry.pending.size;
    return total;
  }

  /** The least busy worker; a new one (up to the pool's size) when every running one is busy. */
  private pick(): PoolWorker {
    let best: PoolWorker | null = null;
    for (const entry of this.workers) {
      if (!best || entry.pending.size < best.pending.size) best = entry;
    }
    if (best && (best.pending.size === 0 || this.workers.length >= this.size)) return best;
    const fresh = this.spawn();
    this.workers.push(fresh);
    return fresh;
  }

  private spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yjsPath: this.yjsPath },
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb },
    });
    worker.unref();
    const entry: PoolWorker = { worker, pending: new Map(), idle: null };
    // A pool sized for bursts keeps no heap between them: a worker's heap holds the garbage of
    // every document it diffed until its isolate goes, which idle collection does not return.
    const retireWhenIdle = () => {
      if (entry.pending.size > 0 || this.closed) return;
      entry.idle = setTimeout(() => {
        if (entry.pending.size > 0) return;
        const index = this.workers.indexOf(entry);
        if (index >= 0) this.workers.splice(index, 1);
        void entry.worker.terminate();
      }, this.idleMs);
      entry.idle.unref();
    };
    worker.on(
      'message',
      (message: { id: number; ok: boolean; output?: unknown; error?: string }) => {
        const pending = entry.pending.get(message.id);
        if (!pending) return;
        entry.pending.delete(message.id);
        if (message.ok) pending.resolve(message.output);
        else pending.reject(new DocWorkerError(message.error ?? 'document task failed'));
        retireWhenIdle();
      },
    );
    const fail = (reason: string) => {
      if (entry.idle) clearTimeout(entry.idle);
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
      for (const pending of entry.pending.values()) pending.reject(new DocWorkerError(reason));
      entry.pending.clear();
    };
    worker.on('error', (error) => fail(`document worker failed: ${error.message}`));
    worker.on('exit', () => fail('document worker exited'));
    return entry;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const entry of workers) if (entry.idle) clearTimeout(entry.idle);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }
}

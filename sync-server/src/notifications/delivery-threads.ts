import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import {
  createInlineDelivery,
  type Delivery,
  type DeliveryOptions,
  type EmailDelivery,
  type PushDelivery,
} from './delivery.js';

/**
 * Delivery in worker threads (`DELIVERY_THREADS`): the main thread claims reminders, reads the
 * documents, writes the in-app notifications and decides what to send; the threads encrypt the
 * pushes, build the emails and do the network I/O (bench:reminders: the main thread's CPU per
 * reminder fell from 1.9 ms to 0.3 ms). Each thread has its own SMTP pool (the connections shared
 * out among them).
 * A request goes to the thread with the fewest in flight; a thread that dies fails what it held
 * (the reminders are retried) and is replaced.
 */
export type DeliveryRequest =
  | { id: number; kind: 'push'; message: PushDelivery }
  | { id: number; kind: 'email'; message: EmailDelivery }
  | { id: number; kind: 'close' };

export type DeliveryReply = { id: number; value: number } | { id: number; error: string };

export interface DeliveryThreadOptions extends DeliveryOptions {
  /** 0: deliver in the main thread. */
  threads: number;
  log: Logger;
}

export function createDelivery(options: DeliveryThreadOptions): Delivery {
  return options.threads > 0 ? createThreadedDelivery(options) : createInlineDelivery(options);
}

interface Waiting {
  resolve(value: number): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Waiting>;
  startedAt: number;
}

/** A thread that dies sooner than this after its start is restarted after RESTART_DELAY_MS. */
const EARLY_DEATH_MS = 1000;
const RESTART_DELAY_MS = 5000;
/** How long `close` waits for sends in flight. */
const CLOSE_WAIT_MS = 10_000;

function createThreadedDelivery(options: DeliveryThreadOptions): Delivery {
  const { log } = options;
  // From the TypeScript sources (tests, benchmarks) the thread needs tsx to load its module.
  const fromSource = import.meta.url.endsWith('.ts');
  const script = new URL(
    fromSource ? './delivery-thread.ts' : './delivery-thread.js',
    import.meta.url,
  );
  const perThread: DeliveryOptions = {
    smtpUrl: options.smtpUrl,
    smtpConnections: Math.max(1, Math.ceil(options.smtpConnections / options.threads)),
    allowPrivateEndpoints: options.allowPrivateEndpoints,
  };
  const slots: (Slot | null)[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  let nextId = 1;
  let closing = false;

  function start(index: number): void {
    const worker = fromSource
      ? // `--import tsx` in a worker's execArgv registers nothing here: the thread registers tsx
        // itself (found from the working directory, the package's own in tests and benchmarks).
        new Worker(
          `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script.href)}); })`,
          { eval: true, workerData: perThread },
        )
      : new Worker(script, { workerData: perThread });
    // Idle threads never keep the process alive; the server closes them on shutdown.
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), startedAt: Date.now() };
    slots[index] = slot;
    worker.on('message', (reply: DeliveryReply) => {
      const waiting = slot.pending.get(reply.id);
      if (!waiting) return;
      slot.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply.value);
    });
    const lost = (why: string) => {
      for (const waiting of slot.pending.values()) {
        waiting.reject(new Error(`the delivery thread ${why}`));
      }
      slot.pending.clear();
      if (slots[index] !== slot) return;
      slots[index] = null;
      if (closing) return;
      log.error('a delivery thread stopped; starting another', { why });
      const early = Date.now() - slot.startedAt < EARLY_DEATH_MS;
      const timer = setTimeout(
        () => {
          restarts.delete(timer);
          if (!closing) start(index);
        },
        early ? RESTART_DELAY_MS : 0,
      );
      timer.unref();
      restarts.add(timer);
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
  }

  function request(slot: Slot, build: (id: number) => DeliveryRequest): Promise<number> {
    const id = nextId++;
    return new Promise<number>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(build(id));
    });
  }

  function leastBusy(): Slot {
    let best: Slot | null = null;
    for (const slot of slots) {
      if (slot && (best === null || slot.pending.size < best.pending.size)) best = slot;
    }
    if (best === null) throw new Error('no delivery thread is running');
    return best;
  }

  for (let index = 0; index < options.threads; index++) start(index);

  return {
    async push(message) {
      return request(leastBusy(), (id) => ({ id, kind: 'push', message }));
    },
    async email(message) {
      await request(leastBusy(), (id) => ({ id, kind: 'email', message }));
    },
    async close() {
      closing = true;
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      const deadline = Date.now() + CLOSE_WAIT_MS;
      while (slots.some((slot) => slot && slot.pending.size > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(
        slots.map(async (slot) => {
          if (!slot) return;
          // The thread closes its SMTP pool, then stops.
          await Promise.race([
            request(slot, (id) => ({ id, kind: 'close' })).catch(() => 0),
            new Promise((resolve) => setTimeout(resolve, 2000)),
          ]);
          await slot.worker.terminate();
        }),
      );
    },
  };
}

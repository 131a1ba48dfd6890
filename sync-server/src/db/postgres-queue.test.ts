import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { importFromPostgres } from '../test-support/postgres-package.js';

/**
 * The queue postgres.js 3.4.9 keeps its connections and waiting queries in (patched,
 * pnpm-workspace.yaml). Unpatched, a queue that never empties kept a slot for everything ever
 * shifted out of it, and every `remove` scanned them all: under steady load the pool's busy
 * connections are such a queue, so each query cost more than the last (60,000 queries through
 * 10 connections took 1.3 s, then 2.2, 3.2 and 4.5 s) and the array grew without end.
 */
interface Queue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T;
  remove(x: T): T | null;
}

const copies = ['src/queue.js', 'cjs/src/queue.js'];

async function loadQueue(file: string): Promise<<T>(initial?: T[]) => Queue<T>> {
  const loaded = await importFromPostgres<{ default: <T>(initial?: T[]) => Queue<T> }>(file);
  return loaded.default;
}

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
function heapUsed(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

describe.each(copies)('postgres.js queue (%s)', (file) => {
  it('keeps no slot for what was shifted out when it never empties', async () => {
    const Queue = await loadQueue(file);
    // Ten connections cycling through the busy queue, as the pool does under steady load: the
    // oldest is taken for the next query and put back at the end. (The pool also calls `remove`
    // for it, which scanned every kept slot: too slow unpatched to run here that many times.)
    const connections = Array.from({ length: 10 }, (_, i) => ({ id: i }));
    const busy = Queue(connections);
    const before = heapUsed();
    for (let i = 0; i < 2_000_000; i += 1) busy.push(busy.shift());
    const grown = heapUsed() - before;
    expect(busy.length).toBe(10);
    // Unpatched: about 16 MB, a slot per query.
    expect(grown).toBeLessThan(2 * 1024 * 1024);
  });

  it('still gives its items first in, first out, and removes the ones asked for', async () => {
    const Queue = await loadQueue(file);
    const queue = Queue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i += 1) {
      queue.push(i);
      if (i % 3 === 0) out.push(queue.shift());
    }
    expect(queue.remove(4999)).toBe(4999);
    expect(queue.remove(4999)).toBeNull();
    expect(queue.remove(out[0] as number)).toBeNull();
    while (queue.length > 0) out.push(queue.shift());
    expect(out).toEqual(Array.from({ length: 4999 }, (_, i) => i));
    expect(queue.remove(1)).toBeNull();
  });
});

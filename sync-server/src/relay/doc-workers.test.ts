import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocWorkers } from './doc-workers.js';

function someUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('tasks').set('a', text);
  return Y.encodeStateAsUpdate(doc);
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('document workers', () => {
  let pool: DocWorkers | null = null;
  afterEach(async () => {
    await pool?.close();
  });

  it('stop once idle for their idle time, and a worker starts again for the next task', async () => {
    pool = new DocWorkers(2, 256, 200);
    const first = await Promise.all(
      ['one', 'two', 'three'].map((text) => pool?.run('compact', { updates: [someUpdate(text)] })),
    );
    expect(first.every((result) => (result?.snapshot.byteLength ?? 0) > 0)).toBe(true);
    expect(pool.running).toBeGreaterThan(0);
    await until(() => pool?.running === 0, 'the idle workers to stop');

    const again = await pool.run('compact', { updates: [someUpdate('four')] });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, again.snapshot);
    expect(doc.getMap('tasks').get('a')).toBe('four');
    expect(pool.running).toBe(1);
  });

  it('keeps a worker that is busy past the idle time', async () => {
    pool = new DocWorkers(1, 256, 50);
    const big = Array.from({ length: 2_000 }, (_, index) => someUpdate(`t${index}`));
    // Tasks queued back to back: the worker never becomes idle between them.
    const results = await Promise.all(
      Array.from({ length: 5 }, () => pool?.run('compact', { updates: big })),
    );
    expect(results).toHaveLength(5);
    expect(results.every((result) => (result?.snapshot.byteLength ?? 0) > 0)).toBe(true);
  });
});

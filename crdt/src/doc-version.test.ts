import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createManualContext } from './context.js';
import { createTask, listTasks } from './tasks.js';
import { tasksOf, UserDocs } from './user-docs.js';

describe('cached reads', () => {
  it('see a remote change from inside an observer of that change', () => {
    const a = new UserDocs('u');
    const b = new UserDocs('u');
    const ctx = createManualContext(new Date('2025-01-01T00:00:00Z'));
    expect(listTasks(b)).toEqual([]); // primes b's cache
    for (let i = 0; i < 3; i += 1) createTask(a, { title: `T${i}` }, ctx);
    const seen: number[] = [];
    tasksOf(b.main).observeDeep(() => seen.push(listTasks(b).length));
    Y.applyUpdate(b.main, Y.encodeStateAsUpdate(a.main));
    expect(seen).toEqual([3]);
    expect(listTasks(b)).toHaveLength(3);
  });

  it('append new tasks after remote ones even when the cache was warm', () => {
    const a = new UserDocs('u');
    const b = new UserDocs('u');
    const ctx = createManualContext(new Date('2025-01-01T00:00:00Z'));
    createTask(b, { title: 'local first' }, ctx);
    createTask(a, { title: 'remote' }, ctx);
    Y.applyUpdate(b.main, Y.encodeStateAsUpdate(a.main));
    const last = createTask(b, { title: 'local last' }, ctx);
    expect(listTasks(b).at(-1)?.id).toBe(last.id);
  });
});

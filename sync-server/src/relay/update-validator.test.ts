import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { UpdateDecodeError, UpdateValidator } from './update-validator.js';

function updateOf(size: number): Uint8Array {
  // Many small maps: every key is a struct of its own, so the decode is long.
  const doc = new Y.Doc();
  const root = doc.getMap<string>('m');
  doc.transact(() => {
    for (let i = 0; i < size; i += 1) root.set(`key ${i}`, `value ${i}`);
  });
  return Y.encodeStateAsUpdate(doc);
}

describe('update validator (worker thread, time-bounded)', () => {
  let validator: UpdateValidator | null = null;
  afterEach(async () => {
    await validator?.close();
  });

  it('accepts a well-formed update and refuses bytes that do not decode', async () => {
    validator = new UpdateValidator({ timeoutMs: 5_000 });
    // It answers with the update's struct ranges: [client, clock, length] per struct.
    const ranges = await validator.validate(updateOf(10));
    expect(ranges).toHaveLength(30);
    expect(ranges.filter((_, index) => index % 3 === 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await expect(
      validator.validate(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])),
    ).rejects.toMatchObject({
      timedOut: false,
    });
  });

  it('gives up on a decode that takes too long, and keeps serving the others', async () => {
    validator = new UpdateValidator({ timeoutMs: 1, msPerMiB: 0 });
    const heavy = updateOf(50_000);
    const small = updateOf(1);
    const outcome = await validator.validate(heavy).then(
      () => 'decoded',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(UpdateDecodeError);
    expect((outcome as UpdateDecodeError).timedOut).toBe(true);
    // A replacement worker takes the next update (generous bound: it has to start first).
    const patient = new UpdateValidator({ timeoutMs: 10_000 });
    try {
      await expect(patient.validate(small)).resolves.toHaveLength(3);
    } finally {
      await patient.close();
    }
  });

  it('resubmits updates queued behind the one that timed out instead of failing them', async () => {
    validator = new UpdateValidator({ timeoutMs: 5, msPerMiB: 0 });
    const heavy = updateOf(50_000);
    const behind = [updateOf(1), updateOf(2), updateOf(3)];
    const results = await Promise.allSettled([
      validator.validate(heavy),
      ...behind.map((u) => validator?.validate(u)),
    ]);
    const [first, ...rest] = results;
    // The heavy one may or may not finish in 5 ms on a given machine; the others always pass.
    if (first?.status === 'rejected')
      expect((first.reason as UpdateDecodeError).timedOut).toBe(true);
    for (const result of rest) expect(result.status).toBe('fulfilled');
  });
});

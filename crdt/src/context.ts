import { v7 as uuidv7 } from 'uuid';

/**
 * What every write needs from the outside world: the time and fresh ids. Injected so tests
 * (and replicas replaying a schedule) are deterministic.
 */
export interface DocContext {
  now(): Date;
  newId(): string;
}

export const systemContext: DocContext = {
  now: () => new Date(),
  newId: () => uuidv7(),
};

/** A context whose clock is fixed or advanced by hand, for tests and demos. */
export function createManualContext(
  start: Date,
  ids?: () => string,
): DocContext & {
  advance(ms: number): void;
  set(date: Date): void;
} {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    newId: ids ?? (() => uuidv7({ msecs: current })),
    advance(ms: number) {
      current += ms;
    },
    set(date: Date) {
      current = date.getTime();
    },
  };
}

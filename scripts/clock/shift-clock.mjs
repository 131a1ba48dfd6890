// Loaded with `node --import` (through NODE_OPTIONS, so child processes and test workers get it
// too): makes this process's clock read FAKE_NOW at the run's start and then run at the real
// pace, so a whole suite (server, fakes, test runner) sees e.g. "Sunday 23:30 UTC" without any
// test asking for it. The first process fixes the anchor (FAKE_NOW_ANCHOR) and its children
// inherit it, so every process reads the same time. Only the wall clock moves: timers,
// performance.now() and the machine's time zone (TZ) are untouched. Used by run-clock-matrix.sh.
import { fakeClockOffset, shiftDate } from './shifted-date.mjs';

const realNow = Date.now();
const offset = fakeClockOffset(process.env, realNow);
if (offset !== null) {
  process.env.FAKE_NOW_ANCHOR ??= String(realNow);
  shiftDate(globalThis, offset);
}

import {
  type BrowserContext,
  type BrowserContextOptions,
  test as base,
  expect,
} from '@playwright/test';
import { fakeClockOffset, shiftDate } from '../../scripts/clock/shifted-date.mjs';

/**
 * Under the clock matrix (`scripts/clock/run-clock-matrix.sh`) every Node process of the run
 * (this runner, the server, the fake providers) reads one faked clock: FAKE_NOW at the run's
 * anchor, then running at the real pace. The browser must read the same clock, or "today" in the
 * app and in the test disagree, and two devices' timestamps drift apart: each page gets the same
 * shifted Date before any of its scripts runs. Outside the matrix the browser keeps its clock.
 */
async function followRunClock(context: BrowserContext): Promise<void> {
  const offset = fakeClockOffset(process.env, Date.now());
  if (offset === null) return;
  await context.addInitScript({ content: `(${shiftDate.toString()})(globalThis, ${offset});` });
}

/**
 * The `test` of every spec that does not pin the browser's clock itself: its page's context
 * follows the run's clock, and `newContext` opens a further device (another browser profile)
 * that does too, closed after the test.
 */
export const test = base.extend<{
  newContext: (options?: BrowserContextOptions) => Promise<BrowserContext>;
}>({
  context: async ({ context }, use) => {
    await followRunClock(context);
    await use(context);
  },
  newContext: async ({ browser }, use) => {
    const opened: BrowserContext[] = [];
    await use(async (options) => {
      const context = await browser.newContext(options);
      opened.push(context);
      await followRunClock(context);
      return context;
    });
    await Promise.all(opened.map((context) => context.close()));
  },
});

/** Tests whose outcome involves dates: the clock matrix runs them under each faked "now". */
export const DATES = '@dates';

export { expect };

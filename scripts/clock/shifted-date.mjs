/**
 * Replaces `scope.Date` with one that reads the real clock plus `offsetMs`. Self-contained (no
 * closure over this module), so Playwright can also run it in a page as an init script.
 * A function, not a subclass: objects made through it are ordinary Dates, and
 * `x instanceof Date` holds for Dates made anywhere (Node's internals keep the real Date).
 */
export function shiftDate(scope, offsetMs) {
  const RealDate = scope.Date;
  const now = () => RealDate.now() + offsetMs;
  function ShiftedDate(...args) {
    if (!new.target) return new RealDate(now()).toString();
    return args.length === 0 ? new RealDate(now()) : new RealDate(...args);
  }
  Object.defineProperties(ShiftedDate, {
    ...Object.getOwnPropertyDescriptors(RealDate),
    now: { value: now, writable: true, configurable: true },
    name: { value: 'Date', configurable: true },
    length: { value: 7, configurable: true },
  });
  Object.defineProperty(RealDate.prototype, 'constructor', {
    value: ShiftedDate,
    writable: true,
    configurable: true,
  });
  scope.Date = ShiftedDate;
}

/**
 * The offset that makes the clock read FAKE_NOW at FAKE_NOW_ANCHOR (the real instant, in ms, the
 * faked clock started), or null without FAKE_NOW. Every process of a run uses the same anchor, so
 * they all read the same faked time, however late each one started.
 */
export function fakeClockOffset(env, realNow) {
  if (!env.FAKE_NOW) return null;
  const target = Date.parse(env.FAKE_NOW);
  if (Number.isNaN(target)) throw new Error(`FAKE_NOW is not a date: ${env.FAKE_NOW}`);
  const anchor = Number(env.FAKE_NOW_ANCHOR ?? realNow);
  if (!Number.isFinite(anchor))
    throw new Error(`FAKE_NOW_ANCHOR is not a time: ${env.FAKE_NOW_ANCHOR}`);
  return target - anchor;
}

// Loaded with `node --import` (through NODE_OPTIONS, so child processes and test workers get it
// too): makes this process's clock read FAKE_NOW at start and then run at the real pace, so a
// whole suite (server, fakes, test runner) sees e.g. "Sunday 23:30 UTC" without any test asking
// for it. Only the wall clock moves: timers, performance.now() and the machine's time zone (TZ)
// are untouched. Used by run-clock-matrix.sh to prove that no test depends on today's date.
const fakeNow = process.env.FAKE_NOW;
if (fakeNow) {
  const RealDate = globalThis.Date;
  const target = RealDate.parse(fakeNow);
  if (Number.isNaN(target)) throw new Error(`FAKE_NOW is not a date: ${fakeNow}`);
  const offset = target - RealDate.now();
  const now = () => RealDate.now() + offset;
  // A function, not a subclass: objects made through it are ordinary Dates, and
  // `x instanceof Date` holds for Dates made anywhere (Node's internals keep the real Date).
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
  globalThis.Date = ShiftedDate;
}

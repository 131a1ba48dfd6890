export function shiftDate(scope: { Date: DateConstructor }, offsetMs: number): void;
export function fakeClockOffset(
  env: Record<string, string | undefined>,
  realNow: number,
): number | null;

import { IANAZone } from 'luxon';

const DAY_MS = 86_400_000;

/** A zone's offset over one UTC day: `before` until `change`, `after` from it on. */
interface DayOffsets {
  change: number;
  before: number;
  after: number;
}

/**
 * The UTC offsets of one IANA zone, asked of Intl once or twice per UTC day and kept. luxon asks
 * Intl (`formatToParts`, microseconds each and far more on a cold start) on every call; a
 * planner expanding two weeks of recurring meetings asked it thousands of times, most of the
 * cold plan. A day whose two ends share an offset has it throughout; on a day with a change
 * of the clocks, the instant of the change is found by bisection (whole seconds, as luxon reads
 * offsets). Assumes at most one change of the clocks within a UTC day, as every zone's rules
 * since 1970 do.
 */
export class ZoneOffsets {
  private static readonly byZone = new Map<string, ZoneOffsets>();
  private readonly days = new Map<number, DayOffsets>();

  private constructor(private readonly zone: IANAZone) {}

  /** The offsets of a valid IANA zone, shared (bounded: zones come from documents). */
  static of(zone: string): ZoneOffsets {
    let offsets = ZoneOffsets.byZone.get(zone);
    if (!offsets) {
      const iana = IANAZone.create(zone);
      if (!iana.isValid) throw new RangeError(`unknown time zone ${zone}`);
      if (ZoneOffsets.byZone.size >= 100) ZoneOffsets.byZone.clear();
      offsets = new ZoneOffsets(iana);
      ZoneOffsets.byZone.set(zone, offsets);
    }
    return offsets;
  }

  /** The zone's offset at an instant, in milliseconds (local time less UTC). */
  offsetAt(ms: number): number {
    const day = Math.floor(ms / DAY_MS);
    let offsets = this.days.get(day);
    if (!offsets) {
      offsets = this.readDay(day);
      if (this.days.size >= 10_000) this.days.clear();
      this.days.set(day, offsets);
    }
    return ms < offsets.change ? offsets.before : offsets.after;
  }

  /** The wall-clock time of an instant as a floating time (UTC fields are the local ones). */
  wallClockOf(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  private read(ms: number): number {
    return Math.round(this.zone.offset(ms) * 60_000);
  }

  private readDay(day: number): DayOffsets {
    const start = day * DAY_MS;
    const before = this.read(start);
    const after = this.read(start + DAY_MS - 1);
    if (before === after) return { change: start + DAY_MS, before, after };
    // low has the offset before the change, high the one after.
    let [low, high] = [start, start + DAY_MS - 1];
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (this.read(mid) === before) low = mid;
      else high = mid;
    }
    return { change: high, before, after };
  }
}

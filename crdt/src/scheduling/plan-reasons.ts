import type { Priority } from '../schema.js';

/**
 * The words of the planner's reasons ("due Wed 14 Jan 17:00", "needs 6 h before Fri 16 Jan
 * 17:00; 4 h free"), in the user's zone. Intl rather than luxon: a plan of 500 tasks formats a
 * thousand instants, and one formatter per zone does it in microseconds each.
 */
export class ReasonWords {
  private readonly format: Intl.DateTimeFormat;
  private readonly cache = new Map<number, string>();
  private static readonly byZone = new Map<string, ReasonWords>();

  /** The words of a zone, shared by plans (bounded, like the zone clocks). */
  static of(zone: string): ReasonWords {
    let words = ReasonWords.byZone.get(zone);
    if (!words) {
      if (ReasonWords.byZone.size >= 100) ReasonWords.byZone.clear();
      words = new ReasonWords(zone);
      ReasonWords.byZone.set(zone, words);
    }
    return words;
  }

  constructor(zone: string) {
    this.format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** `Wed 14 Jan` in the zone. */
  day(ms: number): string {
    return this.when(ms).slice(0, -6);
  }

  /** `Wed 14 Jan 17:00` in the zone. */
  when(ms: number): string {
    let text = this.cache.get(ms);
    if (text === undefined) {
      const parts = new Map(this.format.formatToParts(ms).map((part) => [part.type, part.value]));
      if (this.cache.size >= 10_000) this.cache.clear();
      text = `${parts.get('weekday')} ${parts.get('day')} ${parts.get('month')} ${parts.get('hour')}:${parts.get('minute')}`;
      this.cache.set(ms, text);
    }
    return text;
  }
}

/** `45 min`, `2 h`, `6 h 30 min`. */
export function durationWords(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

export function priorityWords(priority: Priority): string {
  return `priority ${priority.toLowerCase()}`;
}

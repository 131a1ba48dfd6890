import ICAL from 'ical.js';

/**
 * For tests: one occurrence of a series on a CalDAV server changed or deleted as a calendar
 * client (Thunderbird, Apple Calendar) writes it, bypassing the adapter: a VEVENT of the series'
 * UID with RECURRENCE-ID in the series' zone, STATUS:CANCELLED for a deleted occurrence.
 */

export interface CaldavOccurrenceChange {
  summary: string;
  /** UTC instants. */
  start: string;
  end: string;
}

export async function editCaldavOccurrence(
  objectUrl: URL,
  authorization: string,
  originalStart: string,
  change: CaldavOccurrenceChange | 'cancel',
): Promise<void> {
  const current = await fetch(objectUrl, { headers: { authorization } });
  if (current.status !== 200) throw new Error(`GET ${objectUrl} answered ${current.status}`);
  const etag = current.headers.get('etag') ?? '*';
  const calendar = new ICAL.Component(ICAL.parse(await current.text()));
  const master = calendar.getFirstSubcomponent('vevent');
  if (!master) throw new Error(`${objectUrl} holds no VEVENT`);
  const zone = calendar.getFirstSubcomponent('vtimezone');
  const timezone = zone ? new ICAL.Timezone(zone) : null;
  const utc = (instant: string) => ICAL.Time.fromJSDate(new Date(instant), true);
  const override = new ICAL.Component('vevent');
  override.addPropertyWithValue('uid', master.getFirstPropertyValue('uid') as string);
  override.addPropertyWithValue('dtstamp', utc(originalStart));
  const original = timezone ? utc(originalStart).convertToZone(timezone) : utc(originalStart);
  const recurrenceId = override.addPropertyWithValue('recurrence-id', original);
  if (timezone) recurrenceId.setParameter('tzid', timezone.tzid);
  if (change === 'cancel') {
    override.addPropertyWithValue('dtstart', utc(originalStart));
    override.addPropertyWithValue('status', 'CANCELLED');
  } else {
    override.addPropertyWithValue('summary', change.summary);
    override.addPropertyWithValue('dtstart', utc(change.start));
    override.addPropertyWithValue('dtend', utc(change.end));
  }
  calendar.addSubcomponent(override);
  const response = await fetch(objectUrl, {
    method: 'PUT',
    headers: { authorization, 'content-type': 'text/calendar; charset=utf-8', 'if-match': etag },
    body: calendar.toString(),
  });
  if (response.status >= 300) throw new Error(`PUT ${objectUrl} answered ${response.status}`);
}

"""Reads an iCalendar text from stdin with vobject (the parser Radicale and khal use) and prints
its events as JSON: each VEVENT's summary, start and end (a date, or a UTC instant), the TZID its
start is written in, and its first occurrences as vobject and dateutil expand them (RRULE less
EXDATE). A file vobject refuses exits with status 2 and the reason on stderr.

Used by the calendar feed's test (ical-feed-routes.test.ts) as a second parser, independent of
ical.js, which the server writes the feed with.
"""

import datetime
import json
import sys

import vobject

MAX_OCCURRENCES = int(sys.argv[1]) if len(sys.argv) > 1 else 4


def as_text(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError(f"a floating time in a feed: {value.isoformat()}")
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def zone_of(value):
    """The TZID a time was written with (vobject turns it into the tzinfo it built)."""
    if not isinstance(value, datetime.datetime) or value.tzinfo is None:
        return None
    tzid = vobject.icalendar.TimezoneComponent.pickTzid(value.tzinfo)
    return None if tzid == "UTC" else tzid


def occurrences(event, all_day):
    if not hasattr(event, "rrule"):
        return [as_text(event.dtstart.value)]
    found = []
    for when in event.getrruleset(addRDate=True):
        # vobject expands an all-day series as midnights without a zone: they are dates.
        found.append(when.date().isoformat() if all_day else as_text(when))
        if len(found) >= MAX_OCCURRENCES:
            break
    return found


def main():
    text = sys.stdin.read()
    try:
        calendar = vobject.readOne(text, validate=True)
    except Exception as error:  # vobject raises several kinds: report them alike.
        print(f"vobject refused the file: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)
    events = []
    for event in calendar.contents.get("vevent", []):
        start = event.dtstart.value
        all_day = not isinstance(start, datetime.datetime)
        events.append(
            {
                "uid": event.uid.value,
                "summary": event.summary.value,
                "start": as_text(start),
                "end": as_text(event.dtend.value) if hasattr(event, "dtend") else None,
                "tzid": zone_of(start),
                "rrule": event.rrule.value if hasattr(event, "rrule") else None,
                "occurrences": occurrences(event, all_day),
            }
        )
    json.dump(
        {
            "name": calendar.contents["x-wr-calname"][0].value
            if "x-wr-calname" in calendar.contents
            else None,
            "timezones": sorted(zone.tzid.value for zone in calendar.contents.get("vtimezone", [])),
            "events": sorted(events, key=lambda event: event["summary"]),
        },
        sys.stdout,
    )


main()

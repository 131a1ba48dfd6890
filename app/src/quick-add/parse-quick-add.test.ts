import {
  createManualContext,
  createProject,
  createTask,
  migrateDocument,
  parseInput,
  taskCreateInput,
  UserDocs,
} from '@tasks/crdt';
import { describe, expect, it, vi } from 'vitest';
import { parseQuickAdd, type QuickAddOptions, type QuickAddResult } from './parse-quick-add.js';

/** Wednesday 2025-10-15, 08:00 in New York (EDT, UTC-4), 21:00 in Tokyo (UTC+9). */
const NOW = new Date('2025-10-15T12:00:00Z');
const NEW_YORK = 'America/New_York';
const TOKYO = 'Asia/Tokyo';
const PROJECTS = [
  { id: 'p-home', name: 'Home' },
  { id: 'p-big', name: 'Big Project' },
  { id: 'p-q4', name: 'q4-launch' },
];

function parse(text: string, options: Partial<QuickAddOptions> = {}): QuickAddResult {
  return parseQuickAdd(text, { now: NOW, timezone: NEW_YORK, projects: PROJECTS, ...options });
}

describe('the issue example', () => {
  it('parses "Write report tomorrow 3pm #work !high ~2h every monday" into every field', () => {
    expect(parse('Write report tomorrow 3pm #work !high ~2h every monday')).toEqual({
      title: 'Write report',
      tags: ['work'],
      priority: 'HIGH',
      estimatedDuration: 120,
      recurrenceRule: 'FREQ=WEEKLY;BYDAY=MO',
      // Thursday 15:00 in New York (EDT) is 19:00 UTC.
      dueDate: '2025-10-16T19:00:00Z',
    });
  });

  it('gives a result crdt createTask accepts as is', () => {
    const docs = new UserDocs('user-1');
    migrateDocument(docs.main, 'user-1');
    const ctx = createManualContext(NOW);
    const project = createProject(docs, { name: 'Big Project' }, ctx);
    const input = parseQuickAdd('Plan offsite +"big project" next friday #team !1 ~1h30m', {
      now: NOW,
      timezone: NEW_YORK,
      projects: [project],
    });
    const task = createTask(docs, input, ctx);
    expect(task).toMatchObject({
      title: 'Plan offsite',
      projectId: project.id,
      dueDate: '2025-10-24',
      tags: ['team'],
      priority: 'URGENT',
      estimatedDuration: 90,
    });
  });
});

describe('plain text', () => {
  it('keeps a title without syntax unchanged and sets no fields', () => {
    expect(parse('Buy milk')).toEqual({ title: 'Buy milk', tags: [] });
  });

  it('collapses whitespace left by removed tokens', () => {
    expect(parse('  Buy   #shopping   milk  ').title).toBe('Buy milk');
  });

  it('keeps the whole text as the title when nothing but syntax was typed', () => {
    expect(parse('tomorrow #work')).toEqual({
      title: 'tomorrow #work',
      tags: ['work'],
      dueDate: '2025-10-16',
    });
  });

  it('tidies separators the removed tokens leave behind', () => {
    expect(parse('Call mom, tomorrow').title).toBe('Call mom');
    expect(parse('Write report - tomorrow').title).toBe('Write report');
    expect(parse('due by friday: submit form').title).toBe('submit form');
  });

  it('caps the title at 200 characters', () => {
    const result = parse(`${'word '.repeat(100)}#long`);
    expect(result.title.length).toBeLessThanOrEqual(200);
    expect(result.tags).toEqual(['long']);
  });
});

describe('tags', () => {
  it('reads #tags with letters, digits, dashes, underscores and non-ASCII letters', () => {
    expect(parse('Plan #work #q4-plan #side_project #café #日本').tags).toEqual([
      'work',
      'q4-plan',
      'side_project',
      'café',
      '日本',
    ]);
  });

  it('keeps the first spelling of a tag and drops case-insensitive duplicates', () => {
    expect(parse('Taxes #Work #work #WORK')).toEqual({ title: 'Taxes', tags: ['Work'] });
  });

  it('reads a tag followed by punctuation without the punctuation', () => {
    expect(parse('Ship it #release, then rest').tags).toEqual(['release']);
  });

  it('leaves an issue number like #123 in the title', () => {
    expect(parse('Fix issue #123')).toEqual({ title: 'Fix issue #123', tags: [] });
  });

  it('leaves C# in the title: a tag starts after whitespace', () => {
    expect(parse('C# notes')).toEqual({ title: 'C# notes', tags: [] });
  });
});

describe('priority', () => {
  it.each([
    ['!low', 'LOW'],
    ['!medium', 'MEDIUM'],
    ['!High', 'HIGH'],
    ['!URGENT', 'URGENT'],
    ['!1', 'URGENT'],
    ['!2', 'HIGH'],
    ['!3', 'MEDIUM'],
    ['!4', 'LOW'],
  ])('reads %s as %s', (token, priority) => {
    expect(parse(`Pay bills ${token}`)).toEqual({ title: 'Pay bills', tags: [], priority });
  });

  it('leaves unknown !words and exclamation marks in the title', () => {
    expect(parse('Wow! this is !important !5')).toEqual({
      title: 'Wow! this is !important !5',
      tags: [],
    });
  });
});

describe('estimated duration', () => {
  it.each([
    ['~30m', 30],
    ['~2h', 120],
    ['~1h30m', 90],
    ['~1.5h', 90],
    ['~90', 90],
    ['~45min', 45],
  ])('reads %s as %i minutes', (token, minutes) => {
    expect(parse(`Review PR ${token}`)).toEqual({
      title: 'Review PR',
      tags: [],
      estimatedDuration: minutes,
    });
  });

  it('leaves a tilde that is not a duration in the title', () => {
    expect(parse('Approx ~ ~soon')).toEqual({ title: 'Approx ~ ~soon', tags: [] });
  });
});

describe('projects', () => {
  it('matches @name and +name against known projects case-insensitively', () => {
    expect(parse('Clean garage @home')).toEqual({
      title: 'Clean garage',
      tags: [],
      projectId: 'p-home',
    });
    expect(parse('Clean garage +HOME').projectId).toBe('p-home');
    expect(parse('Draft brief @Q4-Launch').projectId).toBe('p-q4');
  });

  it('matches multi-word project names quoted or not', () => {
    expect(parse('Kick-off +"Big Project" slides')).toEqual({
      title: 'Kick-off slides',
      tags: [],
      projectId: 'p-big',
    });
    expect(parse('Kick-off +big project slides').projectId).toBe('p-big');
  });

  it('leaves unknown project names in the title', () => {
    expect(parse('Ask @alice about +extra +"No Such Project"')).toEqual({
      title: 'Ask @alice about +extra +"No Such Project"',
      tags: [],
    });
  });

  it('reads no project without a project list', () => {
    expect(parseQuickAdd('Clean @home', { now: NOW, timezone: NEW_YORK })).toEqual({
      title: 'Clean @home',
      tags: [],
    });
  });

  it('leaves e-mail addresses in the title', () => {
    expect(parse('email bob@example.com')).toEqual({ title: 'email bob@example.com', tags: [] });
    expect(parse('email home@example.com').projectId).toBeUndefined();
  });
});

describe('recurrence', () => {
  it.each([
    ['every day', 'FREQ=DAILY', '2025-10-15'],
    ['daily', 'FREQ=DAILY', '2025-10-15'],
    ['every weekday', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', '2025-10-15'],
    ['every week', 'FREQ=WEEKLY', '2025-10-15'],
    ['weekly', 'FREQ=WEEKLY', '2025-10-15'],
    ['every month', 'FREQ=MONTHLY', '2025-10-15'],
    ['monthly', 'FREQ=MONTHLY', '2025-10-15'],
    ['every year', 'FREQ=YEARLY', '2025-10-15'],
    ['yearly', 'FREQ=YEARLY', '2025-10-15'],
    ['every monday', 'FREQ=WEEKLY;BYDAY=MO', '2025-10-20'],
    ['every mon and thu', 'FREQ=WEEKLY;BYDAY=MO,TH', '2025-10-16'],
    ['every Friday, Tuesday', 'FREQ=WEEKLY;BYDAY=TU,FR', '2025-10-17'],
    ['every other wednesday', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE', '2025-10-15'],
    ['every 2 weeks', 'FREQ=WEEKLY;INTERVAL=2', '2025-10-15'],
    ['every 3 days', 'FREQ=DAILY;INTERVAL=3', '2025-10-15'],
    ['every 2 weeks on sat', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=SA', '2025-10-18'],
    ['weekly on fri', 'FREQ=WEEKLY;BYDAY=FR', '2025-10-17'],
    ['every month on the 15th', 'FREQ=MONTHLY;BYMONTHDAY=15', '2025-10-15'],
    ['every month on the 1st and 20th', 'FREQ=MONTHLY;BYMONTHDAY=1,20', '2025-10-20'],
    ['every month on the last day', 'FREQ=MONTHLY;BYMONTHDAY=-1', '2025-10-31'],
    ['every 1st', 'FREQ=MONTHLY;BYMONTHDAY=1', '2025-11-01'],
  ])('reads "Water plants %s" as %s due %s', (phrase, rule, due) => {
    expect(parse(`Water plants ${phrase}`)).toEqual({
      title: 'Water plants',
      tags: [],
      recurrenceRule: rule,
      dueDate: due,
    });
  });

  it('is due today when today is an occurrence', () => {
    const monday = new Date('2025-10-13T12:00:00Z');
    expect(parse('Standup every monday', { now: monday }).dueDate).toBe('2025-10-13');
  });

  it('is due at the first occurrence at the given time not yet past', () => {
    // 08:00 in New York: 09:30 today is still ahead, so today.
    expect(parse('Standup daily at 9:30')).toMatchObject({
      title: 'Standup',
      recurrenceRule: 'FREQ=DAILY',
      dueDate: '2025-10-15T13:30:00Z',
    });
    // 07:30 today has passed: tomorrow.
    expect(parse('Standup daily at 7:30am').dueDate).toBe('2025-10-16T11:30:00Z');
    expect(parse('Brunch every sunday at 11am').dueDate).toBe('2025-10-19T15:00:00Z');
  });

  it('keeps an explicit date as the due date', () => {
    expect(parse('Renew passport every year on 12 March')).toEqual({
      title: 'Renew passport',
      tags: [],
      recurrenceRule: 'FREQ=YEARLY',
      dueDate: '2026-03-12',
    });
  });

  it('leaves "every" that is not a recurrence in the title', () => {
    expect(parse('Read every last page')).toEqual({ title: 'Read every last page', tags: [] });
    expect(parse('Thank everyone')).toEqual({ title: 'Thank everyone', tags: [] });
  });

  it('produces rules crdt normalizeRecurrenceRule accepts unchanged', () => {
    const rule = parse('Backup every 2 weeks on mon and fri').recurrenceRule;
    expect(rule).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR');
    expect(parseInput(taskCreateInput, { title: 'x', recurrenceRule: rule }).recurrenceRule).toBe(
      rule,
    );
  });
});

describe('dates and times', () => {
  it.each([
    ['tomorrow', '2025-10-16'],
    ['today', '2025-10-15'],
    ['next friday', '2025-10-24'],
    ['friday', '2025-10-17'],
    ['on 12 March', '2026-03-12'],
    ['in 3 days', '2025-10-18'],
    ['next week', '2025-10-22'],
  ])('reads a date without a time ("%s") as an all-day date %s', (phrase, date) => {
    expect(parse(`Call dentist ${phrase}`)).toEqual({
      title: 'Call dentist',
      tags: [],
      dueDate: date,
    });
  });

  it.each([
    ['tomorrow 3pm', '2025-10-16T19:00:00Z'],
    ['at 9', '2025-10-15T13:00:00Z'],
    ['at 9pm', '2025-10-16T01:00:00Z'],
    ['next friday at 10:30am', '2025-10-24T14:30:00Z'],
    ['in 3 hours', '2025-10-15T15:00:00Z'],
    ['3pm UTC', '2025-10-15T15:00:00Z'],
  ])('reads a time ("%s") as the UTC instant of that New York wall time %s', (phrase, instant) => {
    expect(parse(`Call dentist ${phrase}`)).toEqual({
      title: 'Call dentist',
      tags: [],
      dueDate: instant,
    });
  });

  it('reads a date anywhere in the text', () => {
    expect(parse('tomorrow 3pm call the bank').title).toBe('call the bank');
    expect(parse('Call the bank on 12 March about the loan')).toEqual({
      title: 'Call the bank about the loan',
      tags: [],
      dueDate: '2026-03-12',
    });
  });

  it('reads an hour from 1 to 6 without am/pm as the afternoon', () => {
    expect(parse('Pick up kids at 3').dueDate).toBe('2025-10-15T19:00:00Z');
    expect(parse('Pick up kids at 3am').dueDate).toBe('2025-10-16T07:00:00Z');
  });

  it('moves a time already past today to tomorrow', () => {
    expect(parse('Breakfast at 7am').dueDate).toBe('2025-10-16T11:00:00Z');
  });

  it('uses the wall-clock offset of the due date, not of now, across a DST change', () => {
    // New York leaves DST on 2 November: 15:00 on 3 November is EST (UTC-5).
    expect(parse('Vote on 3 November at 3pm').dueDate).toBe('2025-11-03T20:00:00Z');
  });

  it('drops the words that introduce a date with it', () => {
    expect(parse('Submit form by friday').title).toBe('Submit form');
    expect(parse('Meet @9am')).toEqual({
      title: 'Meet',
      tags: [],
      dueDate: '2025-10-15T13:00:00Z',
    });
  });
});

describe('time zones', () => {
  it('reads times as wall-clock times of the user zone (Tokyo)', () => {
    // 21:00 on Wednesday in Tokyo: tomorrow is Thursday; 15:00 JST is 06:00 UTC.
    expect(parse('Write report tomorrow 3pm', { timezone: TOKYO }).dueDate).toBe(
      '2025-10-16T06:00:00Z',
    );
    // 09:00 today has passed in Tokyo: tomorrow 09:00 JST, midnight UTC.
    expect(parse('Run at 9', { timezone: TOKYO }).dueDate).toBe('2025-10-16T00:00:00Z');
  });

  it('reads "today" as the user zone date, not the UTC date', () => {
    // 20:00 UTC on the 15th is already 05:00 on the 16th in Tokyo...
    const lateUtc = new Date('2025-10-15T20:00:00Z');
    expect(parse('Pay today', { timezone: TOKYO, now: lateUtc }).dueDate).toBe('2025-10-16');
    expect(parse('Pay tomorrow', { timezone: TOKYO, now: lateUtc }).dueDate).toBe('2025-10-17');
    // ...and 02:00 UTC on the 16th is still 22:00 on the 15th in New York.
    const earlyUtc = new Date('2025-10-16T02:00:00Z');
    expect(parse('Pay today', { now: earlyUtc }).dueDate).toBe('2025-10-15');
    expect(parse('Pay tomorrow', { now: earlyUtc }).dueDate).toBe('2025-10-16');
  });

  it('finds the first occurrence of a recurrence in the user zone', () => {
    // Wednesday 20:00 in New York is Thursday 09:00 in Tokyo.
    const now = new Date('2025-10-16T00:00:00Z');
    expect(parse('Gym every thursday', { now, timezone: TOKYO }).dueDate).toBe('2025-10-16');
    expect(parse('Gym every thursday', { now }).dueDate).toBe('2025-10-16');
    expect(parse('Gym every wednesday', { now }).dueDate).toBe('2025-10-15');
    expect(parse('Gym every wednesday', { now, timezone: TOKYO }).dueDate).toBe('2025-10-22');
  });

  it.each([
    ['in summer', '2026-07-01T12:00:00Z'],
    ['in winter', '2027-01-15T12:00:00Z'],
  ])(
    'reads a time the clocks show twice as its first pass, whatever the date today (%s)',
    (_, today) => {
      vi.useFakeTimers({ now: new Date(today), toFake: ['Date'] });
      try {
        // 25 October 2026 in Berlin shows 02:30 at 00:30Z and again at 01:30Z.
        const now = new Date('2026-10-20T10:00:00Z');
        expect(parse('Call oct 25 2:30am', { now, timezone: 'Europe/Berlin' }).dueDate).toBe(
          '2026-10-25T00:30:00Z',
        );
        expect(parse('Call every sunday 2:30am', { now, timezone: 'Europe/Berlin' }).dueDate).toBe(
          '2026-10-25T00:30:00Z',
        );
      } finally {
        vi.useRealTimers();
      }
    },
  );

  it('falls back to UTC for an unknown time zone instead of throwing', () => {
    expect(parse('Call tomorrow 3pm', { timezone: 'Mars/Olympus' }).dueDate).toBe(
      '2025-10-16T15:00:00Z',
    );
  });
});

describe('look-alikes that are not syntax', () => {
  it.each([
    'email bob@example.com',
    'C# notes',
    '50% done',
    'Fix issue #123',
    'Learn C++ and F#',
    'sun cream',
    'Buy 1/2 gallon milk',
    'Book a 15 min call',
    'March for climate',
    'Read 1984',
    'Version 2.0 release',
    'Order part 2d961d',
    'Serial 41d05d',
  ])('keeps "%s" as a plain title', (text) => {
    expect(parse(text)).toEqual({ title: text, tags: [] });
  });
});

describe('a date inside a word', () => {
  it('is no date: the date typed after it is the due date and the word stays whole', () => {
    expect(parse('Order part 2d961d today')).toEqual({
      title: 'Order part 2d961d',
      tags: [],
      dueDate: '2025-10-15',
    });
  });
});

describe('robustness', () => {
  it('gives a placeholder title for empty or blank input', () => {
    expect(parse('')).toEqual({ title: 'Untitled', tags: [] });
    expect(parse(' \n\t ')).toEqual({ title: 'Untitled', tags: [] });
  });

  it('never throws and always returns a valid task for random input', () => {
    const random = mulberry32(20251015);
    const pieces = [
      '#',
      '!',
      '~',
      '@',
      '+',
      '"',
      ' ',
      ' ',
      ' ',
      '\n',
      'every ',
      'on the ',
      'monday',
      'mon and thu',
      'tomorrow',
      '3pm',
      'at 9',
      '12 March',
      'in 3 days',
      '31st',
      'day',
      'weekly',
      'h',
      'm',
      '1.5',
      '0',
      '99999999',
      '2',
      'high',
      'home',
      'Big Project',
      'é',
      '日本',
      '🎉',
      '\uD83D',
      '-',
      '_',
      ',',
      ':',
      '.',
      '/',
      '%',
      'x',
    ];
    const timezones = [NEW_YORK, TOKYO, 'UTC', 'Australia/Lord_Howe', 'Pacific/Kiritimati'];
    for (let run = 0; run < 400; run += 1) {
      let text = '';
      const length = Math.floor(random() * (run % 10 === 0 ? 300 : 20));
      for (let i = 0; i < length; i += 1) {
        text +=
          random() < 0.8
            ? (pieces[Math.floor(random() * pieces.length)] ?? '')
            : String.fromCharCode(Math.floor(random() * 0x3000));
      }
      const timezone = timezones[run % timezones.length] ?? 'UTC';
      const now = new Date(Date.UTC(2000, 0, 1) + Math.floor(random() * 40 * 365 * 86_400_000));
      const result = parseQuickAdd(text, { now, timezone, projects: PROJECTS });
      expect(result.title.trim(), JSON.stringify(text)).not.toBe('');
      expect(result.title.length).toBeLessThanOrEqual(200);
      expect(() => parseInput(taskCreateInput, result), JSON.stringify(text)).not.toThrow();
    }
  });

  it('handles very long input', () => {
    const result = parse(`${'a tomorrow #x '.repeat(2000)}`);
    expect(result.title.length).toBeLessThanOrEqual(200);
    expect(() => parseInput(taskCreateInput, result)).not.toThrow();
  });
});

/** A small seeded PRNG, so the fuzz test is reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('reminders', () => {
  it('reads "remind 15m before", "remind 2h before" and "remind 1d before" as minutes before', () => {
    expect(parse('Dentist tomorrow 3pm remind 15m before remind 2 hours before')).toEqual({
      title: 'Dentist',
      dueDate: '2025-10-16T19:00:00Z',
      tags: [],
      reminders: [{ minutesBefore: 15 }, { minutesBefore: 120 }],
    });
    expect(parse('Taxes friday remind me 1d before').reminders).toEqual([{ minutesBefore: 1440 }]);
  });

  it('reads "remind at 9am" as that time on the due day in the user’s zone', () => {
    expect(parse('Send invoice tomorrow 3pm remind at 9am')).toEqual({
      title: 'Send invoice',
      dueDate: '2025-10-16T19:00:00Z',
      tags: [],
      reminders: [{ at: '2025-10-16T13:00:00Z' }],
    });
    expect(parse('Call Ken remind at 17:30 on 20 October', { timezone: TOKYO }).reminders).toEqual([
      { at: '2025-10-20T08:30:00Z' },
    ]);
  });

  it('without a due date, reminds at the next such time from now', () => {
    // 08:00 in New York: 9am is still ahead today, 7am is tomorrow's.
    expect(parse('Stretch remind at 9am')).toEqual({
      title: 'Stretch',
      tags: [],
      reminders: [{ at: '2025-10-15T13:00:00Z' }],
    });
    expect(parse('Stretch remind at 7am').reminders).toEqual([{ at: '2025-10-16T11:00:00Z' }]);
  });

  it('leaves "remind" phrases it cannot read in the title', () => {
    expect(parse('remind Bob about the report')).toEqual({
      title: 'remind Bob about the report',
      tags: [],
    });
    expect(parse('Stretch remind at 25:00').reminders).toBeUndefined();
  });
});

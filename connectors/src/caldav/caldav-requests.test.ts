import { describe, expect, it } from 'vitest';
import { canonicalHref, type DavSession, syncChanges } from './caldav-requests.js';
import type { Fetch } from './retrying-fetch.js';

const CALENDAR = 'http://127.0.0.1:1/alice/tasks/';

const multistatus = (token: string, responses: string[]) =>
  new Response(
    `<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:">${responses.join('')}<d:sync-token>${token}</d:sync-token></d:multistatus>`,
    { status: 207, headers: { 'content-type': 'application/xml; charset=utf-8' } },
  );
const member = (href: string) =>
  `<d:response><d:href>${href}</d:href><d:propstat><d:prop><d:getetag>"${href}"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
const gone = (href: string) =>
  `<d:response><d:href>${href}</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>`;
const truncated = `<d:response><d:href>/alice/tasks/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status></d:response>`;

describe('syncChanges', () => {
  it('follows a report the server truncated (RFC 6578 3.6) until it is complete', async () => {
    const pages = [
      multistatus('token-2', [
        member('/alice/tasks/a.ics'),
        member('/alice/tasks/b.ics'),
        truncated,
      ]),
      multistatus('token-3', [gone('/alice/tasks/a.ics'), member('/alice/tasks/c%20d.ics')]),
    ];
    const tokens: string[] = [];
    const fetchPage: Fetch = async (_input, init) => {
      tokens.push(/<d:sync-token>(.*)<\/d:sync-token>/.exec(String(init?.body))?.[1] ?? '');
      const page = pages.shift();
      if (!page) throw new Error('asked for more pages than the server has');
      return page;
    };
    const session: DavSession = { fetch: fetchPage, headers: {}, calendarUrl: CALENDAR };
    const result = await syncChanges(session, 'token-1');
    expect(tokens).toEqual(['token-1', 'token-2']);
    expect(result).toEqual({
      token: 'token-3',
      changed: ['/alice/tasks/b.ics', '/alice/tasks/c%20d.ics'],
      deleted: ['/alice/tasks/a.ics'],
    });
  });
});

describe('canonicalHref', () => {
  it('spells one object one way, however the server escapes it', () => {
    const spellings = [
      '/alice/tasks/a b@x.ics',
      '/alice/tasks/a%20b%40x.ics',
      'http://127.0.0.1:1/alice/tasks/a%20b@x.ics',
    ];
    const canonical = spellings.map((href) => canonicalHref(href, CALENDAR));
    expect(new Set(canonical)).toEqual(new Set(['/alice/tasks/a%20b%40x.ics']));
    expect(canonicalHref('b.ics', CALENDAR)).toBe('/alice/tasks/b.ics');
  });
});

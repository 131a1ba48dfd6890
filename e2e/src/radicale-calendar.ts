import { expect, type Page } from '@playwright/test';
import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
} from '@tasks/connectors';
import { type Account, newAccount, signUp } from './helpers.js';

/** A calendar on the Radicale global-setup started, as a test creates, reads and writes it. */
export interface RadicaleCalendar {
  serverUrl: string;
  calendarPath: string;
  provider: CalendarProvider;
}

/** Null when global-setup could not start Radicale (not installable here). */
export function radicaleUrl(): string | null {
  return process.env.E2E_RADICALE_URL ?? null;
}

/**
 * Creates (MKCALENDAR) one of the user's calendar collections (`name`, by default `calendar`);
 * Radicale accepts any password.
 */
export async function createRadicaleCalendar(
  serverUrl: string,
  username: string,
  name = 'calendar',
): Promise<RadicaleCalendar> {
  const options = {
    serverUrl,
    username,
    password: 'e2e',
    calendarPath: `/${username}/${name}/`,
  };
  await ensureCaldavCalendar(options);
  return {
    serverUrl,
    calendarPath: options.calendarPath,
    provider: createCaldavCalendarProvider(options),
  };
}

/** Signs up and connects the user's calendar on Radicale through Settings. */
export async function signUpWithCalendar(
  page: Page,
): Promise<{ account: Account; calendar: RadicaleCalendar }> {
  const serverUrl = radicaleUrl();
  if (serverUrl === null) throw new Error('global-setup did not start Radicale');
  const account = newAccount();
  const calendar = await createRadicaleCalendar(serverUrl, account.username);
  await signUp(page, account);
  await page.getByRole('link', { name: 'Settings' }).click();
  const form = page.getByRole('form', { name: 'Connect a CalDAV calendar' });
  await form.getByLabel('CalDAV server URL').fill(serverUrl);
  await form.getByLabel('User name').fill(account.username);
  await form.getByLabel('Password').fill('e2e');
  // A calendar that does not exist: the server's answer shows beside the field.
  const path = form.getByLabel('Calendar path');
  await path.fill(`/${account.username}/no-such-calendar/`);
  await form.getByRole('button', { name: 'Connect CalDAV calendar' }).click();
  await expect(path).toHaveAccessibleDescription(/no calendar exists at this path/, {
    timeout: 15_000,
  });
  await form.getByLabel('Password').fill('e2e');
  await path.fill(calendar.calendarPath);
  await form.getByRole('button', { name: 'Connect CalDAV calendar' }).click();
  await expect(
    page.getByRole('status').filter({ hasText: 'CalDAV calendar connected' }),
  ).toBeVisible({ timeout: 15_000 });
  return { account, calendar };
}

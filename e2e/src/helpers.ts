import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext, expect, type Page } from '@playwright/test';

export interface Account {
  email: string;
  username: string;
  password: string;
}

export function newAccount(): Account {
  const id = randomUUID().slice(0, 8);
  return {
    email: `e2e-${id}@example.com`,
    username: `e2e_${id}`,
    password: 'correct horse battery',
  };
}

/**
 * `prefix` and a random word no other test's task has. The word is made of consonants: a random
 * hex suffix can read as a date to quick add (`4feb28`, `6dec13`), and the task then gets another
 * title than the one the test looks for.
 */
export function uniqueTitle(prefix: string): string {
  const letters = 'bcfghjklnpqvxz';
  const word = Array.from({ length: 8 }, () => letters.charAt(randomInt(letters.length))).join('');
  return `${prefix} ${word}`;
}

/** The server's first account, its admin, registered by global-setup.ts before any test. */
export function adminAccount(): Account {
  const account = {
    email: process.env.E2E_ADMIN_EMAIL ?? '',
    username: 'e2e_admin',
    password: process.env.E2E_ADMIN_PASSWORD ?? '',
  };
  expect(account.email).not.toBe('');
  return account;
}

/** Signs up through the UI and waits for the workspace. */
export async function signUp(page: Page, account: Account): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Full name').fill('E2E Person');
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByLabel('Add a task')).toBeVisible();
}

/** Signs in as a second device of the same user. */
export async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Add a task')).toBeVisible();
}

export async function quickAdd(page: Page, text: string): Promise<void> {
  const input = page.getByLabel('Add a task');
  await input.fill(text);
  await input.press('Enter');
  await expect(input).toHaveValue('');
}

export function taskRow(page: Page, title: string) {
  return page.getByRole('listitem', { name: title, exact: true });
}

export async function waitUntilSynced(page: Page): Promise<void> {
  await expect(page.getByRole('status', { name: /Sync status: Up to date$/ })).toBeVisible({
    timeout: 15_000,
  });
}

/** Waits until the service worker controls the page (the app shell is cached). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    const registration = await navigator.serviceWorker.ready;
    return registration.active?.state === 'activated';
  });
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  }
}

const SCREENSHOTS = path.resolve(import.meta.dirname, '../test-results/screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function apiToken(page: Page): Promise<{ token: string; userId: string }> {
  return page.evaluate(() => {
    const session = JSON.parse(localStorage.getItem('tasks.session') ?? '{}') as {
      accessToken: string;
      userId: string;
    };
    return { token: session.accessToken, userId: session.userId };
  });
}

export async function newDevice(context: BrowserContext): Promise<Page> {
  return context.newPage();
}

/**
 * Opens the week view on the week holding `date` (YYYY-MM-DD), whatever day today is: a date
 * "tomorrow" is next week on a Sunday. Returns that day's column.
 */
export async function showWeekOf(page: Page, date: string) {
  await page.getByRole('link', { name: 'Calendar' }).click();
  const shown = page.locator('section[data-date]');
  for (let step = 0; step < 60; step++) {
    await expect(shown).toHaveCount(7);
    const dates = await shown.evaluateAll((days) => days.map((day) => day.dataset.date ?? ''));
    const first = dates[0] ?? '';
    if (first <= date && date <= (dates[6] ?? ''))
      return page.locator(`section[data-date="${date}"]`);
    await page.getByRole('button', { name: date < first ? 'Previous week' : 'Next week' }).click();
    await expect(shown.first()).not.toHaveAttribute('data-date', first);
  }
  throw new Error(`the week view never showed ${date}`);
}

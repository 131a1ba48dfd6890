import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { newAccount, quickAdd, signUp, taskRow, waitForServiceWorker } from './helpers.js';

/** Every Content-Security-Policy violation the page reports, from the console and as events. */
function collectViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

async function reportedViolations(page: Page): Promise<string[]> {
  return page.evaluate(
    () => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [],
  );
}

test('the built app works under its Content-Security-Policy, with no violation', async ({
  page,
}) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  const violations = collectViolations(page);
  const response = await page.goto('/');
  const headers = response?.headers() ?? {};
  expect(headers['content-security-policy']).toContain("default-src 'self'");
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');

  await signUp(page, newAccount());
  await quickAdd(page, 'Works under the policy');
  await expect(taskRow(page, 'Works under the policy')).toBeVisible();
  await waitForServiceWorker(page);
  await page.reload();
  await expect(taskRow(page, 'Works under the policy')).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' }).first()).toBeVisible();
  expect([...violations, ...(await reportedViolations(page))]).toEqual([]);
});

test('the API reference page renders under its own policy, with no violation', async ({ page }) => {
  const violations = collectViolations(page);
  const response = await page.goto('/api/docs');
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
  await expect(page.getByText('Tasks, calendar and time API').first()).toBeVisible({
    timeout: 15_000,
  });
  expect(violations).toEqual([]);
});

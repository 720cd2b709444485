/**
 * Rig for the helpdesk console tests: a backend with the console (in process, on a test clock,
 * so codes and session timeouts are exact), operators, fobs registered the way a station does
 * it with known seeds, codes from @fobkit/protocol's OTP core, and Debian's chromium driven by
 * playwright-core (the system executable; nothing is downloaded). Screenshots go to
 * test/.output/console/ (gitignored) for review.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateHotp, totpStep } from '@fobkit/protocol/otp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addOperator } from '../backend/src/service/operatorStore.js';
import type { OperatorRole } from '../backend/src/service/operatorStore.js';
import type { TestBackend } from '../backend/src/testing/harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(import.meta.dirname, '.output', 'console');
/** A step boundary for 60 s periods. */
export const T0 = 1_800_000_000;

/** The code a fob with `seed` shows at `time` (a drifted fob: pass true time plus its offset). */
export const codeAt = (seed: Uint8Array, time: number, period = 60): string => generateHotp({ secret: seed, counter: totpStep({ time, period }) });

/** A six-digit code that is none of the fob's codes within `spread` steps of `time`. */
export function wrongCodeAt(seed: Uint8Array, time: number, spread = 2): string {
  const near = new Set<string>();
  for (let d = -spread; d <= spread; d++) near.add(codeAt(seed, time + d * 60));
  for (let n = Number(codeAt(seed, time)); ; n = (n + 111_111) % 1_000_000) {
    const c = String(n).padStart(6, '0');
    if (!near.has(c)) return c;
  }
}

export async function addTestOperator(t: TestBackend, name: string, role: OperatorRole, password = `pw-${name}-long-enough`): Promise<{ name: string; password: string }> {
  await addOperator(t.running.backend.ctx, 'test', { name, role, password });
  return { name, password };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // launch() gives every run a fresh temporary profile (user-data dir) of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Saves the page at 1280×800 and at a narrow 400 px width, as NAME-wide.png and NAME-narrow.png. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-wide.png`) });
  await page.setViewportSize({ width: 400, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-narrow.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

export async function logIn(page: Page, consoleUrl: string, op: { name: string; password: string }): Promise<void> {
  await page.goto(`${consoleUrl}/`);
  await page.getByLabel('Operator name').fill(op.name);
  await page.getByLabel('Password').fill(op.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${consoleUrl}/search`);
}

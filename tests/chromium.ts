import * as fs from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium, driven headless by playwright-core; tests that need it skip visibly without it. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

export const warnIfNoChromium = (what: string): void => {
  if (!hasChromium) console.warn(`SKIP ${what} in headless Chromium: ${CHROMIUM} is absent (Debian: apt-get install -y chromium)`);
};

/** Flags for a closed network and no user profile (background networking would be refused). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: ARGS });

/** Open a report page; collect console errors and every request; wait until its charts are drawn. */
export const openReportPage = async (browser: Browser, file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => void requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-plots]', { timeout: 15_000 });
  return { page, errors, requests };
};

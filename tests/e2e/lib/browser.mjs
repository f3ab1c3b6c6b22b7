// A real browser for the dashboard tests: Debian's Chromium (package chromium; scripts/
// install-deps.sh tools), driven by puppeteer-core, headless. Each page records what a user
// would see go wrong: console errors and warnings, uncaught exceptions, failed requests and
// answers of 400 or more.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { REPO_DIR } from './chain.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
/** Where screenshots go (test artifacts): ERC20_E2E_ARTIFACTS, else build/e2e-artifacts. */
export const ARTIFACTS = process.env.ERC20_E2E_ARTIFACTS || path.join(REPO_DIR, 'build', 'e2e-artifacts');

export async function startBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (scripts/install-deps.sh tools installs chromium)`);
  // --no-sandbox: the tests may run as root (a CI container), where Chromium's sandbox refuses.
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  return {
    browser,
    /** A page of `width`x`height` whose problems() lists what went wrong since it opened. */
    async page({ width = 1200, height = 900 } = {}) {
      const page = await browser.newPage();
      await page.setViewport({ width, height });
      const problems = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
      page.on('requestfailed', (r) => { if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
      page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
      page.problems = () => problems.splice(0);
      return page;
    },
    close: () => browser.close(),
  };
}

/** Saves a full-page screenshot as ARTIFACTS/<test>/<name>.png; returns its path. */
export async function screenshot(page, test, name) {
  const dir = path.join(ARTIFACTS, test);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The texts of the elements matching `selector`. */
export const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));

/** Each chart's test id, points drawn and whether its canvas has pixels. */
export function charts(page) {
  return page.$$eval('[data-points]', (els) => els.map((e) => {
    const c = e.querySelector('canvas');
    let inked = false;
    if (c && c.width && c.height) {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) { inked = true; break; }
    }
    return { id: e.dataset.testid, points: Number(e.dataset.points), canvas: Boolean(c), inked };
  }));
}

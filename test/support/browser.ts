import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's `chromium` package (`.ci/run` installs it), driven by
 * `playwright-core`, whose protocol matches that release. No browser download: `CHROMIUM_PATH` names another binary.
 */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Where tests write screenshots (git-ignored), one folder for the whole run. */
export const screenshotDir = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

/** Viewports the browser tests use: a phone (CSS pixels of a common handset) and a laptop. */
export const viewports = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

/** Raised when the binary is missing: a browser test fails with it rather than being skipped. */
export class ChromiumMissingError extends Error {
  override readonly name = 'ChromiumMissingError';
}

/**
 * Launches headless Chromium with a fresh temporary profile. Flags: no sandbox (CI runs as root in a
 * container), no GPU, and none of Chromium's own background traffic, so a test's network log holds only the page's.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new ChromiumMissingError(
      `Chromium not found at ${chromiumPath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface NewPageOptions extends BrowserContextOptions {
  /** @default viewports.desktop */
  readonly viewport?: { readonly width: number; readonly height: number };
}

/**
 * A page in a context of its own, so cookies and localStorage start empty; closing the page closes its context.
 * Console errors of the page (other than failed requests) are echoed to the test's output.
 */
export async function newPage(browser: Browser, options: NewPageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: viewports.desktop, ...options });
  const page = await context.newPage();
  page.on('console', (message) => {
    // Failed requests are the tests' own business (an API taken down); other errors are worth seeing.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      console.error(`[page] ${message.text()}`);
    }
  });
  page.on('close', () => void context.close().catch(() => undefined));
  return page;
}

/** Saves a full-page screenshot as `<screenshotDir>/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

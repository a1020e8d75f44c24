/**
 * The reference pages in a real browser (docs/operations.md): Debian's Chromium driven by playwright-core against a
 * listening server. `/docs` renders the five operations from the served OpenAPI document and shows an operation's
 * error responses when it is clicked; every reason-code page is reachable from `/docs/errors` and shows its status.
 * The test fails on any request to another origin (each is also aborted), on any console error, and on any
 * Content-Security-Policy violation — except one: the schema library in Scalar's bundle probes `Function('')` once
 * to decide whether it may compile validators, and falls back when the policy refuses (no `unsafe-eval`).
 * Screenshots go to .tmp/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_CODES, REASONS } from '../../src/contract/reasons.js';
import { PUBLIC_ROUTES } from '../../src/contract/routes.js';
import { type Harness, startHarness } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), '.tmp');

/** The text a person sees (rendered, CSS applied), which is what these tests assert — not textContent. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, the rendered text
const seen = (locator: Locator) => locator.innerText();

const openApiPath = (path: string) => path.replace(/:([a-z_]+)/g, '{$1}');

interface Violation {
  directive: string;
  blocked: string;
}

let harness: Harness;
let origin: string;
let context: BrowserContext;
let userDataDir: string;
const foreignRequests: string[] = [];
const consoleErrors: string[] = [];
const violations: Violation[] = [];

/** The Function('') probe of the bundle's schema library, refused as it should be. */
const isEvalProbe = (violation: Violation) => violation.directive === 'script-src' && violation.blocked === 'eval';

async function openPage(path: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${path}: ${message.text()}`);
    const text = message.text();
    if (text.startsWith('csp-violation ')) violations.push(JSON.parse(text.slice('csp-violation '.length)));
  });
  page.on('pageerror', (error) => consoleErrors.push(`${path}: ${error.message}`));
  const response = await page.goto(`${origin}${path}`);
  expect(response?.status(), path).toBe(200);
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does)`,
    );
  }
  harness = await startHarness();
  origin = (await harness.runtime.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  userDataDir = mkdtempSync(join(tmpdir(), 'charthero-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  // Reports every CSP violation on the console, where the page listeners collect it (a string: no DOM types here).
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => console.log('csp-violation ' +
      JSON.stringify({ directive: event.effectiveDirective, blocked: event.blockedURI })));`,
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await harness?.close();
});

/** Generous: a browser on two shared cores, beside the rest of the suite. */
const BROWSER_TEST_MS = 180_000;

describe('/docs in Chromium', () => {
  it(
    'renders the five operations with their paths and ids, from the served OpenAPI document',
    async () => {
      const page = await openPage('/docs');
      for (const route of PUBLIC_ROUTES) {
        await expect
          .poll(() => page.getByText(route.summary, { exact: true }).count(), { timeout: 20_000 })
          .toBeGreaterThan(0);
        const section = page.locator(`[id$="/GET${openApiPath(route.path)}"]`);
        await expect.poll(() => section.count(), { timeout: 10_000 }).toBe(1);
        // Sections below the fold render when they scroll into view.
        await section.scrollIntoViewIfNeeded();
        await expect.poll(() => seen(section), { timeout: 10_000 }).toContain(openApiPath(route.path));
        expect(await seen(section)).toContain(route.id);
      }
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: join(SCREENSHOTS, 'docs.png') });
      await page.close();
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows an operation’s error responses, with their reason codes, when it is clicked',
    async () => {
      const page = await openPage('/docs');
      const route = PUBLIC_ROUTES.find((candidate) => candidate.id === 'get_document')!;
      await page.getByText(route.summary, { exact: true }).first().click();
      await expect.poll(() => decodeURIComponent(page.url())).toContain(`/GET${openApiPath(route.path)}`);
      const statuses = [...new Set(route.reasons.map((code) => REASONS[code].status))].sort();
      expect(statuses).toEqual([400, 401, 403, 404, 429, 500, 503]);
      for (const status of statuses) {
        const response = page.locator(`[id$="/GET${openApiPath(route.path)}.responses.${status}"]`);
        await expect.poll(() => response.isVisible(), { timeout: 10_000 }).toBe(true);
        const text = await seen(response);
        expect(text).toContain(String(status));
        for (const code of route.reasons.filter((candidate) => REASONS[candidate].status === status)) {
          expect(text, `${status} lists ${code}`).toContain(code);
        }
      }
      await page.close();
    },
    BROWSER_TEST_MS,
  );
});

describe('/docs/errors in Chromium', () => {
  it(
    'links every reason code, and each page shows its status and error',
    async () => {
      const page = await openPage('/docs/errors');
      const hrefs = await page
        .locator('a[href^="/docs/errors/"]')
        .evaluateAll((links) => links.map((link) => link.getAttribute('href')));
      expect([...hrefs].sort()).toEqual(REASON_CODES.map((code) => `/docs/errors/${code}`).sort());
      for (const code of REASON_CODES) {
        await page.locator(`a[href="/docs/errors/${code}"]`).click();
        await page.waitForURL(`${origin}/docs/errors/${code}`);
        expect(await seen(page.locator('h1'))).toBe(code);
        expect(await seen(page.locator('[data-status]'))).toBe(String(REASONS[code].status));
        expect(await seen(page.locator('main'))).toContain(REASONS[code].error);
        if (code === 'invalid_limit')
          await page.screenshot({ path: join(SCREENSHOTS, 'docs-error-invalid_limit.png') });
        await page.goBack();
      }
      await page.close();
    },
    BROWSER_TEST_MS,
  );
});

describe('what the browser saw', () => {
  it('no request to another origin, no console error, no CSP violation but the refused eval probe', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(violations.filter((violation) => !isEvalProbe(violation))).toEqual([]);
  });
});

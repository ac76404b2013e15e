import type { Page, Request } from 'playwright-core';
import { api } from '#shared/config/index.ts';

/** An event as the page posted it. */
export interface SentEvent {
  readonly type: string;
  readonly eventId: string;
  readonly itemId?: string;
  readonly itemIds?: string[];
  readonly recommendationId?: string;
  readonly anonymousId?: string;
}

const isEventsPost = (request: Request) =>
  request.method() === 'POST' && new URL(request.url()).pathname === api.routes.events;

/** Every request the page makes from now on, the events it posts, and how many of those posts failed. */
export function recordTraffic(page: Page) {
  const requests: Request[] = [];
  const events: SentEvent[] = [];
  const failedPosts = { count: 0 };
  page.on('request', (request) => {
    requests.push(request);
    if (isEventsPost(request))
      events.push(...(JSON.parse(request.postData() ?? '{}') as { events: SentEvent[] }).events);
  });
  page.on('requestfailed', (request) => {
    if (isEventsPost(request)) failedPosts.count += 1;
  });
  return { requests, events, failedPosts };
}

/** The cards of a rail (`personal`, `similar`, `trending`, `because`) as the page shows them. */
export const railCards = (page: Page, kind: string) =>
  page.$$eval(`[data-rail="${kind}"] .card[data-item-id]`, (cards) =>
    cards.map((card) => ({
      itemId: card.getAttribute('data-item-id') ?? '',
      category: card.getAttribute('data-category') ?? '',
      recommendationId: card.getAttribute('data-rec') ?? '',
    })),
  );

/** The share of `cards` in `category`, 0 for no cards. */
export const shareOf = (cards: readonly { category: string }[], category: string) =>
  cards.length === 0 ? 0 : cards.filter((card) => card.category === category).length / cards.length;

/** Opens the shop's home page and answers its consent banner (or leaves it). */
export async function openHome(page: Page, shopUrl: string, consent: 'accept' | 'refuse' | 'none'): Promise<void> {
  await page.goto(`${shopUrl}/`);
  if (consent !== 'none') await page.click(consent === 'accept' ? '#consent-accept' : '#consent-refuse');
  await page.waitForSelector('.page-home[data-ready]');
}

/** Opens the product at `position` of a category's grid, not from a list: its only weighted event is the view. */
export async function viewFromGrid(page: Page, category: string, position: number): Promise<string> {
  await page.click(`#categories a[href="/c/${category}"]`);
  await page.waitForSelector('.page-category[data-ready]');
  const card = page.locator('.grid .card').nth(position);
  const itemId = (await card.getAttribute('data-item-id')) ?? '';
  await card.click();
  await page.waitForSelector('.page-product[data-ready]');
  return itemId;
}

/**
 * Recommendation rails: a list read through the SDK, its items' details from the shop's backend, and impressions for
 * the cards the shopper actually saw (at least half on screen), attributed to the list's `recommendationId`.
 */
import { backend, type ProductSummary } from './backend.ts';
import { esc, fragment, hueOf, label, money } from './dom.ts';
import type { RecoClient, RecoList } from './env.ts';

export type RailKind = 'personal' | 'similar' | 'trending' | 'because';

export interface RailSpec {
  readonly kind: RailKind;
  readonly title: string;
  readonly load: () => Promise<RecoList>;
  /** Items not to show, such as the product of the page (its view may not have reached the list yet). */
  readonly without?: string;
}

/** A product card; with `recommendationId`, a card of a list (its click and impression are attributed). */
export function card(product: ProductSummary, recommendationId?: string): string {
  const noun = product.title.split(' ').slice(-1)[0] ?? '';
  return `<a class="card" href="/p/${encodeURIComponent(product.itemId)}" data-item-id="${esc(product.itemId)}"
      data-category="${esc(product.category)}"${recommendationId ? ` data-rec="${esc(recommendationId)}"` : ''}>
    <span class="art" data-hue="${hueOf(product.category)}" aria-hidden="true"><span>${esc(noun)}</span></span>
    <span class="title">${esc(product.title)}</span>
    <span class="sub">${esc(label(product.subcategory || product.category))}</span>
    <span class="price">${esc(money(product.price, product.currency))}${product.inStock ? '' : ' · <em>out of stock</em>'}</span>
  </a>`;
}

/** Impressions seen but not yet sent, by list; sent together a moment later. */
const seen = new Map<string, Set<string>>();
let sendTimer: ReturnType<typeof setTimeout> | undefined;
let observer: IntersectionObserver | undefined;

function sendImpressions(reco: RecoClient): void {
  sendTimer = undefined;
  for (const [recommendationId, ids] of seen) reco.impressions(recommendationId, [...ids]);
  seen.clear();
}

function observe(reco: RecoClient, cards: Iterable<HTMLElement>): void {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const element = entry.target as HTMLElement;
        observer?.unobserve(element);
        const { rec, itemId } = element.dataset;
        if (rec === undefined || itemId === undefined) continue;
        const ids = seen.get(rec) ?? new Set<string>();
        ids.add(itemId);
        seen.set(rec, ids);
      }
      sendTimer ??= setTimeout(() => sendImpressions(reco), 300);
    },
    { threshold: 0.5 },
  );
  for (const element of cards) observer.observe(element);
}

/**
 * A rail section in `parent`, filled when its list arrives. A list that fails or comes back empty hides the rail: the
 * page never shows an error where a shelf would be.
 */
export function rail(parent: HTMLElement, reco: RecoClient, spec: RailSpec): Promise<void> {
  const section = document.createElement('section');
  section.className = 'rail';
  section.dataset.rail = spec.kind;
  section.innerHTML = `<h2>${esc(spec.title)}</h2><div class="row" aria-busy="true">${'<span class="card ghost"></span>'.repeat(6)}</div>`;
  parent.append(section);
  const row = section.querySelector('.row') as HTMLElement;
  return (async () => {
    try {
      const list = await spec.load();
      const ids = list.items.map((item) => item.itemId).filter((id) => id !== spec.without);
      const products = await backend.items(ids);
      if (products.length === 0) {
        section.remove();
        return;
      }
      row.replaceChildren(fragment(products.map((product) => card(product, list.recommendationId)).join('')));
      row.removeAttribute('aria-busy');
      section.dataset.recommendationId = list.recommendationId;
      section.dataset.modelVersion = list.modelVersion;
      observe(reco, row.querySelectorAll<HTMLElement>('.card'));
    } catch (error) {
      console.warn(`rail ${spec.kind}:`, error);
      section.remove();
    }
  })();
}

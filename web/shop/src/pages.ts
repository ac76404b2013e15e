/** The shop's pages: each renders into a fresh view element and fills it as its data arrives. */
import { backend, type Product } from './backend.ts';
import { esc, fragment, hueOf, label, money } from './dom.ts';
import type { RecoClient } from './env.ts';
import { card, rail } from './rails.ts';
import { cart, consentChoice, recentlyViewed } from './store.ts';

export interface PageContext {
  readonly reco: RecoClient;
  readonly view: HTMLElement;
  readonly query: URLSearchParams;
}

const RAIL_SIZE = 12;

export async function homePage({ reco, view }: PageContext): Promise<void> {
  view.append(
    fragment(`<section class="hero"><h1>Picked for you, as you browse</h1>
      <p>Open a few products of one category: “Recommended for you” follows within seconds.</p></section>`),
  );
  const rails = [
    rail(view, reco, {
      kind: 'personal',
      title: 'Recommended for you',
      load: () => reco.recommendations({ count: RAIL_SIZE }),
    }),
  ];
  const [lastViewed] = recentlyViewed.ids();
  if (lastViewed !== undefined) {
    const [product] = await backend.items([lastViewed]).catch(() => []);
    if (product !== undefined) {
      rails.push(
        rail(view, reco, {
          kind: 'because',
          title: `Because you viewed ${product.title}`,
          load: () => reco.similar(product.itemId, { count: RAIL_SIZE }),
        }),
      );
    }
  }
  rails.push(
    rail(view, reco, {
      kind: 'trending',
      title: 'Trending now',
      // Within the hour, else the day's most popular: a quiet shop has little to say about the last hour.
      load: async () => {
        const now = await reco.trending({ count: RAIL_SIZE, window: '1h' });
        return now.items.length >= 4 ? now : reco.trending({ count: RAIL_SIZE, window: '24h' });
      },
    }),
  );
  await Promise.all(rails);
}

export async function categoryPage({ view, query }: PageContext, category: string): Promise<void> {
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  view.append(fragment(`<h1>${esc(label(category))}</h1><div class="grid" aria-busy="true"></div>`));
  const grid = view.querySelector('.grid') as HTMLElement;
  try {
    const answer = await backend.products(category, page);
    grid.replaceChildren(fragment(answer.items.map((product) => card(product)).join('')));
    grid.removeAttribute('aria-busy');
    const link = (to: number, text: string) =>
      to < 1 || to > answer.pages
        ? `<span class="disabled">${text}</span>`
        : `<a href="/c/${encodeURIComponent(category)}?page=${to}">${text}</a>`;
    view.append(
      fragment(`<nav class="pager" aria-label="Pages">${link(page - 1, '‹ Previous')}
        <span>Page ${answer.page} of ${answer.pages} · ${answer.total} products</span>${link(page + 1, 'Next ›')}</nav>`),
    );
  } catch (error) {
    grid.replaceChildren(fragment(`<p class="notice">This category is not in the catalogue.</p>`));
    console.warn('category:', error);
  }
}

function productDetail(product: Product): string {
  return `<article class="product" data-item-id="${esc(product.itemId)}" data-category="${esc(product.category)}">
    <span class="art large" data-hue="${hueOf(product.category)}" aria-hidden="true">
      <span>${esc(product.title.split(' ').slice(-1)[0] ?? '')}</span></span>
    <div class="info">
      <nav class="crumbs"><a href="/c/${encodeURIComponent(product.category)}">${esc(label(product.category))}</a>
        › ${esc(label(product.subcategory))}</nav>
      <h1>${esc(product.title)}</h1>
      <p class="price">${esc(money(product.price, product.currency))}</p>
      <p class="stock ${product.inStock ? 'in' : 'out'}">${product.inStock ? 'In stock' : 'Out of stock'}</p>
      <p class="description">${esc(product.description)}</p>
      <form class="buy">
        <label>Quantity <input name="quantity" type="number" min="1" max="99" value="1" inputmode="numeric" /></label>
        <button class="primary" type="submit"${product.inStock ? '' : ' disabled'}>Add to cart</button>
      </form>
      <p class="added" hidden>Added to your cart.</p>
    </div>
  </article>`;
}

export async function productPage({ reco, view }: PageContext, itemId: string): Promise<void> {
  const [product] = await backend.items([itemId]).catch(() => []);
  if (product === undefined) {
    view.append(fragment(`<p class="notice">This product is not in the catalogue.</p>`));
    return;
  }
  reco.track.view(product.itemId);
  if (consentChoice.get() === 'granted') recentlyViewed.add(product.itemId);
  view.append(fragment(productDetail(product)));
  const form = view.querySelector('form.buy') as HTMLFormElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const quantity = Math.max(1, Math.min(99, Number(new FormData(form).get('quantity')) || 1));
    cart.add(product.itemId, quantity);
    reco.track.addToCart(product.itemId, {
      quantity,
      ...(product.price === null ? {} : { price: product.price, currency: product.currency }),
    });
    (view.querySelector('.added') as HTMLElement).hidden = false;
  });
  await Promise.all([
    rail(view, reco, {
      kind: 'similar',
      title: 'Similar items',
      load: () => reco.similar(product.itemId, { count: RAIL_SIZE }),
      without: product.itemId,
    }),
    rail(view, reco, {
      kind: 'personal',
      title: 'Recommended for you',
      load: () => reco.recommendations({ count: RAIL_SIZE, exclude: ['purchased', 'viewed'] }),
      without: product.itemId,
    }),
  ]);
}

export async function cartPage(context: PageContext): Promise<void> {
  const { reco, view } = context;
  const lines = cart.lines();
  const products = new Map(
    (await backend.items(lines.map((line) => line.itemId)).catch(() => [])).map((p) => [p.itemId, p]),
  );
  const known = lines.filter((line) => products.has(line.itemId));
  if (known.length === 0) {
    view.append(fragment(`<h1>Your cart</h1><p class="notice">Your cart is empty.</p>`));
  } else {
    const currency = products.get(known[0]?.itemId ?? '')?.currency ?? 'EUR';
    const total = known.reduce((sum, line) => sum + (products.get(line.itemId)?.price ?? 0) * line.quantity, 0);
    view.append(
      fragment(`<h1>Your cart</h1><ul class="lines">${known
        .map((line) => {
          const product = products.get(line.itemId) as Product;
          return `<li data-item-id="${esc(line.itemId)}">
            <a href="/p/${encodeURIComponent(line.itemId)}">${esc(product.title)}</a>
            <span class="qty"><button type="button" data-step="-1" aria-label="One less">−</button>
              <span>${line.quantity}</span><button type="button" data-step="1" aria-label="One more">+</button></span>
            <span class="price">${esc(money((product.price ?? 0) * line.quantity, product.currency))}</span></li>`;
        })
        .join('')}</ul>
      <p class="total">Total <strong>${esc(money(total, currency))}</strong></p>
      <button class="primary" type="button" id="checkout">Place order</button>`),
    );
    view.querySelector('.lines')?.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-step]');
      const itemId = button?.closest<HTMLElement>('li')?.dataset.itemId;
      if (!button || itemId === undefined) return;
      const step = Number(button.dataset.step);
      const line = cart.lines().find((l) => l.itemId === itemId);
      cart.set(itemId, (line?.quantity ?? 0) + step);
      if (step < 0) reco.track.removeFromCart(itemId, { quantity: 1 });
      else reco.track.addToCart(itemId, { quantity: 1 });
      view.replaceChildren();
      void cartPage(context);
    });
    view.querySelector('#checkout')?.addEventListener('click', () => {
      reco.track.purchaseOrder({
        orderId: `demo-${Date.now().toString(36)}`,
        currency,
        items: known.map((line) => ({
          itemId: line.itemId,
          quantity: line.quantity,
          price: products.get(line.itemId)?.price ?? 0,
        })),
      });
      cart.clear();
      view.replaceChildren(fragment(`<h1>Thank you</h1><p class="notice">Your (simulated) order is placed.</p>`));
      void rail(view, reco, {
        kind: 'personal',
        title: 'Recommended for you',
        load: () => reco.recommendations({ count: RAIL_SIZE }),
      });
    });
  }
  await rail(view, reco, {
    kind: 'personal',
    title: 'Recommended for you',
    load: () => reco.recommendations({ count: RAIL_SIZE }),
  });
}

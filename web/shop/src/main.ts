/**
 * The demo shop's page: one HTML page for every shop path, routed here with the History API, so moving between
 * products keeps the SDK client (and its queue) and costs one request for the product.
 */
import { backend, type Category, type Session } from './backend.ts';
import { byId, esc, fragment, label, setPalette } from './dom.ts';
import { readConfig, type RecoClient } from './env.ts';
import { cartPage, categoryPage, homePage, productPage, type PageContext } from './pages.ts';
import { routeOf } from './router.ts';
import { cart, consentChoice } from './store.ts';
import { createClient, grant, refuse, useSession } from './tracking.ts';

/** The simulator's most active signed-in shoppers, offered in the sign-in menu. */
const DEMO_USERS = ['u1', 'u2', 'u3', 'u4', 'u5'];

function renderCategories(categories: readonly Category[], current: string | undefined): void {
  byId('categories').replaceChildren(
    fragment(
      categories
        .map(
          ({ name }) =>
            `<a href="/c/${encodeURIComponent(name)}"${name === current ? ' aria-current="page"' : ''}>${esc(label(name))}</a>`,
        )
        .join(''),
    ),
  );
}

function renderAccount(session: Session): void {
  const form = byId<HTMLFormElement>('account');
  form.innerHTML =
    session.userId === null
      ? `<label class="sr-only" for="user">Demo shopper</label>
         <select id="user" name="userId">${DEMO_USERS.map((id) => `<option>${id}</option>`).join('')}</select>
         <button type="submit" name="action" value="sign-in">Sign in</button>`
      : `<span class="who"><span class="greeting">Hi, </span><strong>${esc(session.userId)}</strong></span>
         <button type="submit" name="action" value="sign-out">Sign out</button>`;
  form.dataset.userId = session.userId ?? '';
}

const renderCartCount = () => (byId('cart-count').textContent = String(cart.count()));

async function start(): Promise<void> {
  const config = readConfig();
  const [session, categories] = await Promise.all([
    backend.session().catch((): Session => ({ userId: null })),
    backend.categories().catch((): Category[] => []),
  ]);
  setPalette(categories.map((category) => category.name));
  const reco: RecoClient = createClient(config, session);
  const main = byId('main');

  const render = async () => {
    const route = routeOf(location.pathname);
    renderCategories(categories, route.name === 'category' ? route.category : undefined);
    const view = document.createElement('div');
    view.className = `page page-${route.name}`;
    main.replaceChildren(view);
    const context: PageContext = { reco, view, query: new URLSearchParams(location.search) };
    if (route.name === 'product') reco.page({ itemId: route.itemId });
    else reco.page();
    if (route.name === 'home') await homePage(context);
    else if (route.name === 'cart') await cartPage(context);
    else if (route.name === 'category') await categoryPage(context, route.category);
    else if (route.name === 'product') await productPage(context, route.itemId);
    else view.append(fragment('<p class="notice">There is no such page in this shop.</p>'));
    view.dataset.ready = 'true';
  };
  const navigate = (href: string) => {
    history.pushState(null, '', href);
    window.scrollTo(0, 0);
    void render();
  };

  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const link = (event.target as Element).closest<HTMLAnchorElement>('a[href^="/"]');
    if (link === null || link.target !== '') return;
    event.preventDefault();
    const { rec, itemId } = link.dataset;
    if (rec !== undefined && itemId !== undefined) reco.trackRecommendationClick(rec, itemId);
    navigate(link.getAttribute('href') ?? '/');
  });
  window.addEventListener('popstate', () => void render());

  renderAccount(session);
  byId<HTMLFormElement>('account').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const action = (event.submitter as HTMLButtonElement | null)?.value;
    const userId = String(new FormData(form).get('userId') ?? '');
    void (async () => {
      const next = action === 'sign-in' ? await backend.signIn(userId) : await backend.signOut();
      useSession(reco, next);
      renderAccount(next);
      await render();
    })().catch((error: unknown) => console.warn('sign-in:', error));
  });

  const banner = byId('consent');
  banner.hidden = consentChoice.get() !== null || reco.consent === 'denied';
  byId('consent-accept').addEventListener('click', () => {
    grant(reco);
    banner.hidden = true;
  });
  byId('consent-refuse').addEventListener('click', () => {
    refuse(reco);
    banner.hidden = true;
  });
  byId('privacy').addEventListener('click', () => (banner.hidden = false));

  cart.onChange(renderCartCount);
  renderCartCount();
  await render();
}

start().catch((error: unknown) => {
  console.error('shop:', error);
  const main = document.getElementById('main');
  if (main) main.textContent = 'The shop could not start. Is the local stack running?';
});

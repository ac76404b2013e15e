/** The shop's own backend (`/shop/api/`): its catalogue and its session. */

export interface ProductSummary {
  readonly itemId: string;
  readonly title: string;
  readonly category: string;
  readonly subcategory: string;
  readonly price: number | null;
  readonly currency: string;
  readonly inStock: boolean;
}

export interface Product extends ProductSummary {
  readonly description: string;
}

export interface Category {
  readonly name: string;
  readonly count: number;
}

export interface ProductPage {
  readonly category: string | null;
  readonly page: number;
  readonly pages: number;
  readonly total: number;
  readonly items: readonly ProductSummary[];
}

export interface Session {
  readonly userId: string | null;
  readonly token?: string;
  readonly expiresAt?: number;
}

/** An answer of the shop's backend other than 200, with its `reason`. */
export class ShopRequestError extends Error {
  override readonly name = 'ShopRequestError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`/shop/api/${path}`, { credentials: 'same-origin', ...init });
  const body = (await response.json().catch(() => ({}))) as T & { reason?: string; message?: string };
  if (!response.ok) {
    throw new ShopRequestError(response.status, body.reason ?? 'unknown', body.message ?? `HTTP ${response.status}`);
  }
  return body;
}

const post = <T>(path: string, body: unknown) =>
  call<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Products fetched so far, by id: rails and the cart name the same items again and again. */
const known = new Map<string, Product>();

export const backend = {
  categories: () => call<{ categories: Category[] }>('categories').then((answer) => answer.categories),
  products: (category: string, page: number) =>
    call<ProductPage>(`products?category=${encodeURIComponent(category)}&page=${page}`),
  /** Those products, in the order asked; ids the catalogue does not have are left out. */
  async items(ids: readonly string[]): Promise<Product[]> {
    const missing = ids.filter((id) => !known.has(id));
    for (let start = 0; start < missing.length; start += 100) {
      const batch = missing
        .slice(start, start + 100)
        .map(encodeURIComponent)
        .join(',');
      const { items } = await call<{ items: Product[] }>(`items?ids=${batch}`);
      for (const item of items) known.set(item.itemId, item);
    }
    return ids.flatMap((id) => known.get(id) ?? []);
  },
  session: () => call<Session>('session'),
  signIn: (userId: string) => post<Session>('sign-in', { userId }),
  signOut: () => post<Session>('sign-out', {}),
};

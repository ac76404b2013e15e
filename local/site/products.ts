import { apiLimits } from '#shared/config/index.ts';
import { InvalidRequestError, NotFoundError } from '#shared/errors.ts';
import type { CatalogueSnapshot, ShopCategory, ShopProduct } from './catalogue.ts';

/** Products on one page of a category. */
export const PAGE_SIZE = 24;
/** Ids one `items` request may name: a rail's or a cart's worth. */
export const MAX_IDS = 100;

/** A product in a grid or a rail: everything but the description. */
export type ProductSummary = Omit<ShopProduct, 'description'>;

const summary = ({ description: _description, ...rest }: ShopProduct): ProductSummary => rest;

/** One query parameter, refused when it is given twice (which value would win is anyone's guess). */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new InvalidRequestError('invalid_field', `${name}: give it once`);
  return values[0];
}

/** `GET /shop/api/categories`: the categories, largest first. */
export const categoriesAnswer = (catalogue: CatalogueSnapshot): { categories: readonly ShopCategory[] } => ({
  categories: catalogue.categories,
});

/** `GET /shop/api/products?category=&page=`: one page of a category, or of the whole catalogue. */
export function productsAnswer(catalogue: CatalogueSnapshot, query: URLSearchParams) {
  const category = single(query, 'category');
  const rawPage = single(query, 'page') ?? '1';
  if (!/^[1-9][0-9]{0,5}$/.test(rawPage)) {
    throw new InvalidRequestError('invalid_field', 'page: a whole number from 1');
  }
  const page = Number(rawPage);
  let products: readonly ShopProduct[] = catalogue.products;
  if (category !== undefined) {
    const inCategory = catalogue.byCategory.get(category);
    if (inCategory === undefined || category === '') {
      throw new NotFoundError(
        'category_not_found',
        `category: the catalogue has no category ${JSON.stringify(category)}`,
      );
    }
    products = inCategory;
  }
  const pages = Math.max(1, Math.ceil(products.length / PAGE_SIZE));
  return {
    category: category ?? null,
    page,
    pages,
    total: products.length,
    items: products.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map(summary),
  };
}

/** `GET /shop/api/items?ids=a,b,c`: those products in the order asked, with descriptions; unknown ids left out. */
export function itemsAnswer(catalogue: CatalogueSnapshot, query: URLSearchParams) {
  const raw = single(query, 'ids');
  if (raw === undefined || raw === '') throw new InvalidRequestError('invalid_field', 'ids: one or more item ids');
  const ids = raw.split(',');
  if (ids.length > MAX_IDS) throw new InvalidRequestError('invalid_field', `ids: at most ${MAX_IDS}`);
  if (ids.some((id) => id === '' || id.length > apiLimits.maxIdChars)) {
    throw new InvalidRequestError('invalid_field', `ids: each 1 to ${apiLimits.maxIdChars} characters`);
  }
  const items: ShopProduct[] = [];
  for (const id of new Set(ids)) {
    const product = catalogue.byId.get(id);
    if (product !== undefined) items.push(product);
  }
  return { items };
}

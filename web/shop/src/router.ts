/** Paths of the shop's page (the backend serves the same page for each, `local/site.ts`). */
export type Route =
  | { readonly name: 'home' }
  | { readonly name: 'cart' }
  | { readonly name: 'category'; readonly category: string }
  | { readonly name: 'product'; readonly itemId: string }
  | { readonly name: 'notFound' };

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function routeOf(pathname: string): Route {
  if (pathname === '/') return { name: 'home' };
  if (pathname === '/cart') return { name: 'cart' };
  const match = /^\/(c|p)\/([^/]+)$/.exec(pathname);
  const value = match?.[2] === undefined ? undefined : decoded(match[2]);
  if (value === undefined) return { name: 'notFound' };
  return match?.[1] === 'c' ? { name: 'category', category: value } : { name: 'product', itemId: value };
}

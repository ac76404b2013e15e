import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import type { CatalogueItem } from '#shared/catalogue/item.ts';
import { createShopSite, mountSites, type SiteHandler, type TokenMinter } from '#local/site.ts';

const items: CatalogueItem[] = [
  ...Array.from({ length: 30 }, (_, i) => ({
    itemId: `sku-${String(i + 1).padStart(3, '0')}`,
    title: `Kitchen thing ${i + 1}`,
    description: 'A thing for the kitchen.',
    categories: ['kitchen', 'knives'],
    price: 10 + i,
    currency: 'EUR',
    inStock: i % 7 !== 0,
  })),
  { itemId: 'sku-900', title: 'Garden hose', categories: ['garden', 'watering'], price: 20, inStock: true },
  { itemId: 'fee', title: 'Postage', categories: ['fees'], recommendable: false },
];

const minted: string[] = [];
let failMinting = false;
const mint: TokenMinter = async (userId) => {
  if (failMinting) throw new Error('server API down');
  minted.push(userId);
  return { userId, token: `token-for-${userId}`, expiresAt: 2_000_000_000 };
};
const dashboard = vi.fn<SiteHandler>(async (_req, res) => {
  res.end('dashboard');
  return true;
});

let server: Server;
let port: number;

beforeAll(async () => {
  const store = new MemoryFeatureStore();
  await store.putItems(items);
  const shop = createShopSite({
    catalogue: store,
    mintUserToken: mint,
    apiKey: 'key</script><!--',
    clock: { now: () => Date.now() },
  });
  const site = mountSites(shop, { '/dashboard': dashboard });
  // What the gateway does: a path the site does not serve gets the API's answer.
  server = createServer((req, res) => {
    void site(req, res).then((served) => {
      if (!served) res.writeHead(404, { 'x-answered-by': 'api' }).end('{"reason":"route_not_found"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
}

/** One request with the path sent as given (fetch would normalise `..` away first). */
function send(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (reply: Reply) => JSON.parse(reply.text) as Record<string, unknown>;
const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
  send('POST', path, { body, headers: { 'content-type': 'application/json', ...headers } });

describe('Function: createShopSite', () => {
  describe('Method: the page and its files', () => {
    it('returns the page for every shop path, with the config in a script element no value can end', async () => {
      // Act
      const replies = await Promise.all(['/', '/cart', '/c/kitchen', '/p/sku-001?x=1'].map((p) => send('GET', p)));
      // Assess
      for (const reply of replies) {
        expect(reply.status).toBe(200);
        expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
      }
      const html = replies[0]?.text ?? '';
      const config = /<script id="shop-config" type="application\/json">([^<]*)<\/script>/.exec(html)?.[1] ?? '';
      expect(JSON.parse(config)).toEqual({ endpoint: null, apiKey: 'key</script><!--' });
      expect(html.match(/<\/script>/g)).toHaveLength(3);
    });

    it('returns each file the page names with its content type, gzipped on request, and 304 for its etag', async () => {
      // Prepare
      const html = (await send('GET', '/')).text;
      const paths = [...html.matchAll(/(?:href|src)="(\/shop\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
      // Act
      const replies = await Promise.all(paths.map((p) => send('GET', p, { headers: { 'accept-encoding': 'gzip' } })));
      const again = await send('GET', paths[0] as string, {
        headers: { 'if-none-match': String(replies[0]?.headers.etag) },
      });
      // Assess
      expect(paths.map((p) => p.replace(/\.[\w-]{8}\./, '.'))).toEqual([
        '/shop/assets/favicon.svg',
        '/shop/assets/shop.css',
        '/shop/assets/reco.iife.js',
        '/shop/assets/app.js',
      ]);
      expect(replies.map((r) => r.headers['content-type'])).toEqual([
        'image/svg+xml',
        'text/css; charset=utf-8',
        'text/javascript; charset=utf-8',
        'text/javascript; charset=utf-8',
      ]);
      for (const reply of replies) {
        expect(reply.status).toBe(200);
        expect(reply.headers['content-encoding']).toBe('gzip');
        expect(reply.headers['cache-control']).toContain('immutable');
      }
      expect(gunzipSync(replies[2]?.body ?? Buffer.alloc(0)).toString()).toContain('createRecoClient');
      expect(again.status).toBe(304);
    });

    it('leaves every other path to the API, traversals included', async () => {
      // Act
      const replies = await Promise.all(
        [
          ['GET', '/nope'],
          ['GET', '/p/'],
          ['GET', '/p/a/b'],
          ['POST', '/'],
          ['GET', '/shop/assets/app.js'],
          ['GET', '/shop/assets/../../package.json'],
          ['GET', '/shop/assets/..%2f..%2fpackage.json'],
          ['GET', '/shop/assets/%2e%2e/%2e%2e/package.json'],
          ['GET', '/shop/assets//etc/passwd'],
        ].map(([method, path]) => send(method as string, path as string)),
      );
      // Assess
      expect(replies.map((r) => r.headers['x-answered-by'])).toEqual(replies.map(() => 'api'));
    });
  });

  describe('Method: the catalogue routes', () => {
    it('returns categories by size, pages of a category without descriptions, and items in the order asked', async () => {
      // Act
      const categories = json(await send('GET', '/shop/api/categories'));
      const page2 = json(await send('GET', '/shop/api/products?category=kitchen&page=2'));
      const picked = json(await send('GET', '/shop/api/items?ids=sku-900,unknown,sku-002,sku-900,fee'));
      // Assess
      expect(categories).toEqual({
        categories: [
          { name: 'kitchen', count: 30 },
          { name: 'garden', count: 1 },
        ],
      });
      expect(page2).toMatchObject({ category: 'kitchen', page: 2, pages: 2, total: 30 });
      expect((page2.items as { itemId: string }[]).map((i) => i.itemId)).toEqual(
        ['025', '026', '027', '028', '029', '030'].map((n) => `sku-${n}`),
      );
      expect(page2.items).toContainEqual({
        itemId: 'sku-029',
        title: 'Kitchen thing 29',
        category: 'kitchen',
        subcategory: 'knives',
        price: 38,
        currency: 'EUR',
        inStock: false,
      });
      expect((picked.items as { itemId: string }[]).map((i) => i.itemId)).toEqual(['sku-900', 'sku-002']);
      expect(picked.items).toContainEqual(expect.objectContaining({ description: 'A thing for the kitchen.' }));
    });

    it.each([
      ['/shop/api/products?page=0', 400, 'invalid_field'],
      ['/shop/api/products?page=1.5', 400, 'invalid_field'],
      ['/shop/api/products?page=1&page=2', 400, 'invalid_field'],
      ['/shop/api/products?category=constructor', 404, 'category_not_found'],
      ['/shop/api/products?category=', 404, 'category_not_found'],
      ['/shop/api/items', 400, 'invalid_field'],
      ['/shop/api/items?ids=a,,b', 400, 'invalid_field'],
      [`/shop/api/items?ids=${'x'.repeat(129)}`, 400, 'invalid_field'],
      [`/shop/api/items?ids=${Array.from({ length: 101 }, (_, i) => i).join(',')}`, 400, 'invalid_field'],
      ['/shop/api/nope', 404, 'route_not_found'],
      ['/shop/api/__proto__', 404, 'route_not_found'],
    ])('returns %s with %i %s', async (path, status, reason) => {
      // Act
      const reply = await send('GET', path);
      // Assess
      expect(reply.status).toBe(status);
      expect(json(reply)).toMatchObject({ reason });
    });
  });

  describe('Method: sign-in', () => {
    it('mints a token for a demo shopper and sets an HttpOnly session cookie the session route reads', async () => {
      // Act
      const signIn = await postJson('/shop/api/sign-in', '{"userId":"u12"}');
      const cookie = String(signIn.headers['set-cookie']).split(';')[0] as string;
      const session = await send('GET', '/shop/api/session', { headers: { cookie: `other=1; ${cookie}` } });
      const anonymous = await send('GET', '/shop/api/session');
      const signOut = await postJson('/shop/api/sign-out', '{}');
      // Assess
      expect(json(signIn)).toEqual({ userId: 'u12', token: 'token-for-u12', expiresAt: 2_000_000_000 });
      expect(signIn.headers['set-cookie']).toEqual(['shop_user=u12; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400']);
      expect(signIn.headers['cache-control']).toBe('no-store');
      expect(json(session)).toMatchObject({ userId: 'u12', token: 'token-for-u12' });
      expect(json(anonymous)).toEqual({ userId: null });
      expect(signOut.headers['set-cookie']).toEqual(['shop_user=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0']);
    });

    it.each([
      ['{"userId":"admin"}', 400, 'invalid_field'],
      ['{"userId":"u0"}', 400, 'invalid_field'],
      ['{"userId":["u1"]}', 400, 'invalid_field'],
      ['{"userId":"u1","role":"admin"}', 400, 'invalid_field'],
      ['{"__proto__":{"userId":"u1"}}', 400, 'invalid_field'],
      ['not json', 400, 'invalid_json'],
      [`{"userId":"${'u'.repeat(2_000)}"}`, 413, 'body_too_large'],
    ])('refuses the body %s with %i %s and mints nothing', async (body, status, reason) => {
      // Prepare
      minted.length = 0;
      // Act
      const reply = await postJson('/shop/api/sign-in', body);
      // Assess
      expect(reply.status).toBe(status);
      expect(json(reply)).toMatchObject({ reason });
      expect(reply.headers['set-cookie']).toBeUndefined();
      expect(minted).toEqual([]);
    });

    it.each([
      ['sign-in', 'text/plain', '{"userId":"x=","userId":"u1"}'],
      ['sign-in', 'application/x-www-form-urlencoded', '{"userId":"u1"}'],
      ['sign-in', undefined, '{"userId":"u1"}'],
      ['sign-out', 'text/plain', '{}'],
    ])(
      'refuses POST %s as %s (what a cross-site form can send) with 415 and sets no cookie',
      async (route, type, body) => {
        // Prepare
        minted.length = 0;
        // Act
        const reply = await send('POST', `/shop/api/${route}`, {
          body,
          headers: type === undefined ? {} : { 'content-type': type },
        });
        // Assess
        expect(reply.status).toBe(415);
        expect(json(reply)).toMatchObject({ reason: 'unsupported_media_type' });
        expect(reply.headers['set-cookie']).toBeUndefined();
        expect(minted).toEqual([]);
      },
    );

    it('takes application/json with a charset', async () => {
      // Act
      const reply = await send('POST', '/shop/api/sign-in', {
        body: '{"userId":"u3"}',
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });
      // Assess
      expect(reply.status).toBe(200);
    });

    it('answers 503 user_token_unavailable when the server API does not mint, and ignores a forged cookie', async () => {
      // Prepare
      failMinting = true;
      // Act
      const reply = await postJson('/shop/api/sign-in', '{"userId":"u1"}');
      failMinting = false;
      const forged = await send('GET', '/shop/api/session', { headers: { cookie: 'shop_user=admin' } });
      // Assess
      expect(reply.status).toBe(503);
      expect(json(reply)).toMatchObject({ reason: 'user_token_unavailable' });
      expect(json(forged)).toEqual({ userId: null });
    });
  });
});

describe('Function: createShopSite options', () => {
  it.each(['localhost:3000', 'ftp://api.example', 'https://api.example/prod/v1'])(
    'throws for the API endpoint %s, naming the option',
    (apiEndpoint) => {
      // Act
      const create = () =>
        createShopSite({
          catalogue: new MemoryFeatureStore(),
          mintUserToken: mint,
          apiKey: 'k',
          apiEndpoint,
          clock: { now: () => 0 },
        });
      // Assess
      expect(create).toThrow(/site\.apiEndpoint must be an http\(s\) URL without \/v1/);
    },
  );
});

describe('Function: mountSites', () => {
  it('returns a mounted site for its prefix and what is under it, and the shop for the rest', async () => {
    // Act
    const mounted = await Promise.all(['/dashboard', '/dashboard/api/x?y=1'].map((p) => send('GET', p)));
    const notMounted = await send('GET', '/dashboards');
    // Assess
    expect(mounted.map((r) => r.text)).toEqual(['dashboard', 'dashboard']);
    expect(notMounted.headers['x-answered-by']).toBe('api');
    expect(dashboard).toHaveBeenCalledTimes(2);
  });
});

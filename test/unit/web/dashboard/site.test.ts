import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dashboardSite } from '../../../../web/dashboard/site.ts';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** Whether the site took the request (false: the server's own 418 fallback answered). */
  readonly owned: boolean;
}

/** Stats calls the site made, and what the next one answers. */
const calls: string[] = [];
let answer: () => Promise<Response>;

let server: Server;
let port: number;

/** A raw request, path sent exactly as given (no client-side `..` resolution). */
function send(path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          owned: res.headers['x-fallback'] === undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const sites = {
    mounted: dashboardSite({
      basePath: '/dashboard',
      fetchStats: (query) => {
        calls.push(query);
        return answer();
      },
    }),
    root: dashboardSite({ basePath: '', fetchStats: async () => Response.json({ root: true }) }),
  };
  server = createServer((req, res) => {
    const site = req.url?.startsWith('/root') ? sites.root : sites.mounted;
    if (req.url?.startsWith('/root')) req.url = req.url.slice('/root'.length) || '/';
    void site(req, res).then((owned) => {
      if (!owned) {
        res.writeHead(418, { 'x-fallback': 'yes' });
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  calls.length = 0;
  answer = async () => Response.json({ source: 'local' });
});

describe('Function: dashboardSite', () => {
  describe('Method: pages and files', () => {
    it('serves the page under the base path with a strict content security policy', async () => {
      // Act
      const page = await send('/dashboard/');

      // Assess
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<script src="dashboard.js" defer></script>');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
    });

    it('redirects the bare base path to its trailing slash, query kept, so relative URLs resolve under it', async () => {
      // Act
      const bare = await send('/dashboard?minutes=60');

      // Assess
      expect(bare.status).toBe(308);
      expect(bare.headers.location).toBe('/dashboard/?minutes=60');
    });

    it('serves the bundled script with uPlot, and the style sheets', async () => {
      // Act
      const [script, css, uplot] = await Promise.all([
        send('/dashboard/dashboard.js'),
        send('/dashboard/dashboard.css'),
        send('/dashboard/uplot.css'),
      ]);

      // Assess
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.body).toContain('api/stats?minutes=');
      expect(script.body).toContain('u-legend');
      expect(script.body).not.toMatch(/^import /m);
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(uplot.body).toContain('.uplot');
    });

    it('answers HEAD without a body', async () => {
      // Act
      const head = await send('/dashboard/', 'HEAD');

      // Assess
      expect(head.status).toBe(200);
      expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
      expect(head.body).toBe('');
    });

    it('refuses other methods with 405', async () => {
      // Act
      const post = await send('/dashboard/api/stats', 'POST');

      // Assess
      expect(post.status).toBe(405);
      expect(post.headers.allow).toBe('GET, HEAD');
      expect(JSON.parse(post.body)).toMatchObject({ reason: 'method_not_allowed' });
      expect(calls).toEqual([]);
    });
  });

  describe('Method: paths it does not own', () => {
    it.each(['/', '/dashboards', '/v1/health', '/shop/dashboard/'])('resolves false for %s', async (path) => {
      // Act
      const other = await send(path);

      // Assess
      expect(other.owned).toBe(false);
    });

    it.each([
      ['/dashboard/../package.json', false],
      ['/dashboard/%2e%2e/package.json', false],
      ['/dashboard/..%2fpackage.json', true],
      ['/dashboard/..%5c..%5cpackage.json', true],
      ['/dashboard/site.ts', true],
      ['/dashboard/main.ts', true],
      ['/dashboard//etc/passwd', true],
    ])('never serves a file outside its list for %s (owned: %s)', async (path, owned) => {
      // Act
      const answered = await send(path);

      // Assess
      expect(answered.owned).toBe(owned);
      expect(answered.status).toBe(owned ? 404 : 418);
      expect(answered.body).not.toContain('reco-stack');
      expect(answered.body).not.toContain('dashboardSite');
    });
  });

  describe('Method: api/stats', () => {
    it('passes only the minutes parameter on, and the answer back as JSON, uncached', async () => {
      // Act
      const stats = await send('/dashboard/api/stats?minutes=15&path=/v1/admin/user-tokens&minutes=99&x=%00');

      // Assess
      expect(calls).toEqual(['minutes=15']);
      expect(stats.status).toBe(200);
      expect(JSON.parse(stats.body)).toEqual({ source: 'local' });
      expect(stats.headers['cache-control']).toBe('no-store');
    });

    it('encodes the minutes value and passes an empty query without one', async () => {
      // Act
      await send('/dashboard/api/stats?minutes=1%262%3Dx');
      await send('/dashboard/api/stats');

      // Assess
      expect(calls).toEqual(['minutes=1%262%3Dx', '']);
    });

    it("passes the stats route's error status and JSON through", async () => {
      // Prepare
      answer = async () => Response.json({ reason: 'access_denied', message: 'no' }, { status: 403 });

      // Act
      const denied = await send('/dashboard/api/stats?minutes=5');

      // Assess
      expect(denied.status).toBe(403);
      expect(JSON.parse(denied.body)).toEqual({ reason: 'access_denied', message: 'no' });
    });

    it('answers 502 with a reason when the stats route does not answer, or not with JSON', async () => {
      // Prepare
      answer = async () => {
        throw new TypeError('fetch failed');
      };
      const unreachable = await send('/dashboard/api/stats');
      answer = async () => new Response('<html>gateway</html>', { status: 504 });

      // Act
      const notJson = await send('/dashboard/api/stats');

      // Assess
      expect(unreachable.status).toBe(502);
      expect(JSON.parse(unreachable.body)).toMatchObject({ reason: 'stats_unreachable' });
      expect(notJson.status).toBe(502);
      expect(JSON.parse(notJson.body)).toMatchObject({ reason: 'stats_invalid_response' });
    });
  });

  describe('Method: base paths', () => {
    it('serves at the root with an empty base path', async () => {
      // Act
      const [page, stats] = await Promise.all([send('/root/'), send('/root/api/stats?minutes=5')]);

      // Assess
      expect(page.body).toContain('<title>reco · live dashboard</title>');
      expect(JSON.parse(stats.body)).toEqual({ root: true });
    });

    it.each(['dashboard', '/dash board', '/a/../b', '/%2e'])('refuses the base path %j', (basePath) => {
      // Act + Assess
      expect(() => dashboardSite({ basePath, fetchStats: async () => Response.json({}) })).toThrow(/basePath/);
    });
  });
});

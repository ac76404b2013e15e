import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** S3 on loopback, path-style, holding its objects in memory. */
export interface S3StandIn {
  /** Where `AWS_ENDPOINT_URL_S3` points (an IP address, so the SDK addresses buckets by path). */
  readonly url: string;
  /** Makes a bucket; requests to any other answer `NoSuchBucket`. */
  createBucket(bucket: string): void;
  put(bucket: string, key: string, body: Buffer, lastModified?: Date): void;
  /** The keys under `prefix` of `bucket`, in order. */
  keys(bucket: string, prefix?: string): string[];
  stop(): Promise<void>;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unxml = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The S3 calls the training pipeline makes: ListObjectsV2 (pages of `pageSize` keys), GetObject,
 * PutObject and DeleteObjects. Anything else answers `NotImplemented`, so a new call fails loudly.
 * Requests are not authenticated.
 */
export async function startS3StandIn(options: { readonly pageSize?: number } = {}): Promise<S3StandIn> {
  const pageSize = options.pageSize ?? 1_000;
  const buckets = new Map<string, Map<string, { body: Buffer; lastModified: Date }>>();
  const bucketOf = (name: string) => {
    const bucket = buckets.get(name);
    if (bucket === undefined) throw new S3Error(404, 'NoSuchBucket', `no bucket ${name}`);
    return bucket;
  };
  const keysOf = (name: string, prefix = '') =>
    [...bucketOf(name).keys()].filter((key) => key.startsWith(prefix)).sort();

  const list = (name: string, url: URL, response: ServerResponse) => {
    const prefix = url.searchParams.get('prefix') ?? '';
    const after = url.searchParams.get('continuation-token') ?? '';
    const max = Math.min(pageSize, Number(url.searchParams.get('max-keys') ?? pageSize));
    const keys = keysOf(name, prefix).filter((key) => key > after);
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page
      .map((key) => {
        const object = bucketOf(name).get(key) as { body: Buffer; lastModified: Date };
        return (
          `<Contents><Key>${xml(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
          `<ETag>"0"</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`
        );
      })
      .join('');
    reply(
      response,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(name)}</Name>` +
        `<Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>` +
        `<IsTruncated>${truncated}</IsTruncated>${contents}` +
        (truncated ? `<NextContinuationToken>${xml(page.at(-1) as string)}</NextContinuationToken>` : '') +
        `</ListBucketResult>`,
    );
  };

  const remove = (name: string, body: string, response: ServerResponse) => {
    const bucket = bucketOf(name);
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map(([, key = '']) => unxml(key));
    for (const key of keys) bucket.delete(key);
    reply(
      response,
      `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        (/<Quiet>true<\/Quiet>/.test(body)
          ? ''
          : keys.map((key) => `<Deleted><Key>${xml(key)}</Key></Deleted>`).join('')) +
        `</DeleteResult>`,
    );
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://s3.local');
    const [encodedBucket = '', ...rest] = url.pathname.slice(1).split('/');
    const name = decodeURIComponent(encodedBucket);
    const key = rest.map(decodeURIComponent).join('/');
    const body = await bodyOf(request);
    if (request.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
      list(name, url, response);
    } else if (request.method === 'POST' && key === '' && url.searchParams.has('delete')) {
      remove(name, body.toString('utf8'), response);
    } else if (request.method === 'PUT' && key !== '' && !url.searchParams.has('uploadId')) {
      bucketOf(name).set(key, { body, lastModified: new Date() });
      response.writeHead(200, { etag: '"0"' });
      response.end();
    } else if (request.method === 'GET' && key !== '') {
      const object = bucketOf(name).get(key);
      if (object === undefined) throw new S3Error(404, 'NoSuchKey', `no key ${key}`);
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': object.body.length,
        'last-modified': object.lastModified.toUTCString(),
      });
      response.end(object.body);
    } else {
      throw new S3Error(501, 'NotImplemented', `the stand-in has no ${request.method} ${url.pathname}${url.search}`);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const known = error instanceof S3Error;
      response.writeHead(known ? error.status : 500, { 'content-type': 'application/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${known ? error.code : 'InternalError'}</Code>` +
          `<Message>${xml(error instanceof Error ? error.message : String(error))}</Message></Error>`,
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    createBucket: (bucket) => {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
    },
    put: (bucket, key, body, lastModified = new Date()) => bucketOf(bucket).set(key, { body, lastModified }),
    keys: keysOf,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(response: ServerResponse, body: string): void {
  response.writeHead(200, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

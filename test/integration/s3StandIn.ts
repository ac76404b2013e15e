import { S3Client } from '@aws-sdk/client-s3';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback S3 of two calls, ListObjectsV2 and GetObject, path-style, for the lake adapters:
 * the project has no S3 stand-in. Pages hold `pageSize` keys, so paging is exercised with a few
 * objects. Objects carry the `LastModified` they were put with.
 */
export interface S3StandIn {
  readonly client: S3Client;
  put(bucket: string, key: string, body: Buffer, lastModified?: Date): void;
  readonly requests: string[];
  stop(): Promise<void>;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startS3StandIn(options: { readonly pageSize?: number } = {}): Promise<S3StandIn> {
  const pageSize = options.pageSize ?? 1_000;
  const objects = new Map<string, { body: Buffer; lastModified: Date }>();
  const requests: string[] = [];

  const list = (bucket: string, url: URL, response: ServerResponse) => {
    const prefix = url.searchParams.get('prefix') ?? '';
    const after = url.searchParams.get('continuation-token') ?? '';
    const max = Math.min(pageSize, Number(url.searchParams.get('max-keys') ?? pageSize));
    const keys = [...objects.keys()]
      .filter((id) => id.startsWith(`${bucket}/${prefix}`))
      .map((id) => id.slice(bucket.length + 1))
      .filter((key) => key > after)
      .sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page
      .map((key) => {
        const object = objects.get(`${bucket}/${key}`) as { body: Buffer; lastModified: Date };
        return (
          `<Contents><Key>${xml(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
          `<ETag>"0"</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`
        );
      })
      .join('');
    response.writeHead(200, { 'content-type': 'application/xml' });
    response.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
        `<MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}` +
        (truncated ? `<NextContinuationToken>${xml(page.at(-1) as string)}</NextContinuationToken>` : '') +
        `</ListBucketResult>`,
    );
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://s3.local');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
    const key = rest.map(decodeURIComponent).join('/');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    if (request.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
      list(decodeURIComponent(bucket), url, response);
      return;
    }
    const object = objects.get(`${decodeURIComponent(bucket)}/${key}`);
    if (request.method === 'GET' && object !== undefined) {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': object.body.length,
        'last-modified': object.lastModified.toUTCString(),
      });
      response.end(object.body);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/xml' });
    response.end(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    requests,
    put: (bucket, key, body, lastModified = new Date()) => objects.set(`${bucket}/${key}`, { body, lastModified }),
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

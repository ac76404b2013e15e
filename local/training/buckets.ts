import { join, resolve, sep } from 'node:path';

/**
 * S3 as folders: the local run's bucket names, each mapped to a directory, so the state
 * machine's `s3://` URIs resolve to files and back.
 */
export class LocalBuckets {
  private readonly roots: ReadonlyMap<string, string>;

  constructor(roots: Readonly<Record<string, string>>) {
    this.roots = new Map(Object.entries(roots).map(([bucket, dir]) => [bucket, resolve(dir)]));
  }

  /** The file or folder of `s3://bucket/key`; throws for an unknown bucket or a key leaving it. */
  pathOf(uri: string): string {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    const root = match?.[1] === undefined ? undefined : this.roots.get(match[1]);
    if (match === null || root === undefined) {
      throw new Error(`${uri} is not in a local bucket (${[...this.roots.keys()].join(', ')})`);
    }
    const path = resolve(join(root, match[2] ?? ''));
    if (path !== root && !path.startsWith(`${root}${sep}`)) throw new Error(`${uri} leaves its bucket`);
    return path;
  }

  /** `s3://bucket/key` of a path inside a bucket's folder. */
  uriOf(bucket: string, key: string): string {
    if (!this.roots.has(bucket)) throw new Error(`${bucket} is not a local bucket`);
    return `s3://${bucket}/${key.replace(/^\/+/, '')}`;
  }
}

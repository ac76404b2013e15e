import { Construct } from 'constructs';
import { api } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import type { ErasureHashKeySecret } from './erasure-hash-key.ts';
import type { FeatureStore } from './feature-store.ts';
import { RecoFunction } from './reco-function.ts';

/** Properties of a {@link Privacy}. */
export interface PrivacyProps {
  /**
   * The feature store holding shopper profiles and erasure records; the erasure function gets
   * read-write access to it (it reads profiles, replaces them conditionally with tombstones and
   * records each erasure under `ERASED`).
   */
  readonly featureStore: FeatureStore;

  /** The key of the erasure log's keyed hashes; the erasure function reads it to record erasures. */
  readonly erasureHashKey: ErasureHashKeySecret;
}

/**
 * Data-subject rights: the function behind `DELETE /v1/users/{userId}` (right to erasure,
 * GDPR Art. 17), bound read-write to the feature store and to the erasure-log hash key, and to
 * nothing else (no stream, no queue).
 *
 * Raw events already delivered to the data lake are not rewritten: training exports leave out
 * every shopper key recorded under `ERASED`, and the lake's lifecycle rule deletes the raw
 * objects after its retention (see `DataLake`).
 */
export class Privacy extends Construct {
  /** Handler of the `userErasure` route. */
  public readonly erasureFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: PrivacyProps) {
    super(scope, id);

    this.erasureFunction = new RecoFunction(this, 'ErasureFunction', {
      entry: functionEntry('privacy'),
      description: `${api.routeMethods.userErasure} ${api.routes.userErasure}: erases a shopper's profiles (GDPR Art. 17)`,
    });
    props.featureStore.bindTable(this.erasureFunction, 'readWrite');
    props.erasureHashKey.bindReader(this.erasureFunction);
  }
}

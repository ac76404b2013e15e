import { Construct } from 'constructs';
import { api } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import type { FeatureStore } from './feature-store.ts';
import { RecoFunction } from './reco-function.ts';

/** Properties of a {@link Catalogue}. */
export interface CatalogueProps {
  /**
   * The feature store holding the catalogue entries (`I#<itemId>`/`META`); the catalogue
   * function gets read-write access to it (`BatchWriteItem` for upserts, `DeleteItem`).
   */
  readonly featureStore: FeatureStore;
}

/**
 * The catalogue write path: the function behind `PUT /v1/items` (batch upsert of catalogue
 * entries) and `DELETE /v1/items/{itemId}`, bound read-write to the feature store and to
 * nothing else (no stream, no queue).
 */
export class Catalogue extends Construct {
  /** Handler of the `catalogueItems` and `catalogueItem` routes. */
  public readonly catalogueFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: CatalogueProps) {
    super(scope, id);

    this.catalogueFunction = new RecoFunction(this, 'CatalogueFunction', {
      entry: functionEntry('catalogue'),
      description:
        `${api.routeMethods.catalogueItems} ${api.routes.catalogueItems} and ` +
        `${api.routeMethods.catalogueItem} ${api.routes.catalogueItem}: upserts and deletes catalogue items`,
    });
    props.featureStore.bindTable(this.catalogueFunction, 'readWrite');
  }
}

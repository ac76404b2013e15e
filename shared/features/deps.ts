import type { StreamEvent } from '../events/schema.ts';
import type { ErasureHasher } from '../privacy/erasureHash.ts';
import type {
  AliasStore,
  AttributionStore,
  Clock,
  ErasureLog,
  ItemActivityStore,
  PoisonSink,
  RecommendationLog,
  ShopperStore,
} from '../ports/index.ts';
import type { CatalogueLookup } from './catalogueLookup.ts';

/** A stream record as the processor receives it (Lambda's Kinesis record, reduced). */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Base64 of the JSON event. */
  readonly data: string;
}

/** A record that decoded into an event. */
export interface ValidRecord {
  readonly record: StreamRecord;
  /** `<shardId>:<sequenceNumber>` */
  readonly recordId: string;
  readonly event: StreamEvent;
}

/** What tells whether an anonymous id was erased, after its tombstone has expired. */
export interface ErasureLookup {
  readonly log: Pick<ErasureLog, 'erasedAt'>;
  readonly hasher: ErasureHasher;
}

export interface FeatureDeps {
  /** Profiles, and the alias items `identify` writes. */
  readonly shoppers: ShopperStore & AliasStore;
  readonly items: ItemActivityStore;
  readonly catalogue: CatalogueLookup;
  /** Where records that can never be applied are parked, with their data and the reason. */
  readonly poisonSink: PoisonSink;
  readonly clock: Clock;
  /** Counts clicks, add-to-carts and purchases on served lists (events with `recommendationId`). */
  readonly attribution?: AttributionStore & Pick<RecommendationLog, 'getRecommendations'>;
  /**
   * The erasure log, so `identify` never links an erased anonymous id again (one point read per
   * new link). Without it only the anonymous id's tombstone shows an erasure, and that expires.
   */
  readonly erasures?: ErasureLookup;
  /** Parallel writes to the store per batch; DynamoDB round trips dominate, not CPU. @default 16 */
  readonly writeConcurrency?: number;
}

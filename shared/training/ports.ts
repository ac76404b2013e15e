/**
 * What the pipeline's steps and the export need from outside, besides the registry
 * (`registry.ts`) and the catalogue (`../catalogue/catalogueIndex.ts`). Each has an AWS adapter
 * and a memory or local one in `shared/adapters/` and `shared/lake/`.
 */
import type { StreamEvent } from '../events/schema.ts';

/** A span of time, epoch ms, `from` included and `to` not. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** How much the lake received in a range: exact (local) or estimated from object sizes (S3). */
export interface NewDataCount {
  readonly events: number;
  readonly estimated: boolean;
}

/** The guard's view of the lake: how many events arrived in a range, without reading them all. */
export interface NewDataCounter {
  countEvents(range: TimeRange): Promise<NewDataCount>;
}

/** Whether the serving endpoint exists, so the deployment creates or updates it. */
export interface EndpointState {
  endpointExists(endpointName: string): Promise<boolean>;
}

/** What clean-up deletes of an old version; every method tolerates what is already gone. */
export interface ModelResources {
  /** SageMaker models whose name starts with `namePrefix`; returns how many it deleted. */
  deleteModels(namePrefix: string): Promise<number>;
  /** SageMaker endpoint configs whose name starts with `namePrefix`. */
  deleteEndpointConfigs(namePrefix: string): Promise<number>;
  /** Every object under `s3://bucket/prefix`; returns how many. */
  deleteObjects(s3Prefix: string): Promise<number>;
}

/** The fields of a lake event the export reads; the rest of the record is not kept. */
export type LakeEvent = Pick<StreamEvent, 'type' | 'userId' | 'anonymousId' | 'itemId' | 'quantity' | 'timestamp'> & {
  readonly receivedAt: number;
};

/** Lake lines that were not events, counted instead of failing the export on the first. */
export interface LakeReadStats {
  invalidLines: number;
  /** The first few problems (object key, line, what is wrong), for the export's summary. */
  readonly examples: string[];
}

/**
 * Events the lake received in a range (by `receivedAt`, the server's clock, which also names the
 * day partitions), in the lake's order, in batches: one async step per batch, not per event.
 */
export interface LakeReader {
  events(range: TimeRange, stats: LakeReadStats): AsyncIterable<readonly LakeEvent[]>;
}

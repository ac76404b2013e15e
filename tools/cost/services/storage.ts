/** S3 (the lake at steady state, the model artifacts) and the DynamoDB feature table. */
import { dataLake, serving, training, ttls } from '#shared/config/index.ts';
import { DAYS_PER_MONTH } from '../assumptions.ts';
import { trainingRuns } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { traffic } from '../traffic.ts';

const MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60;
const DAY_SECONDS = 24 * 60 * 60;

/** Distinct shoppers with a profile: those active within the profiles' 90-day TTL. */
export function storedShoppers(context: CostContext): number {
  return (context.load.eventsPerDay * (ttls.userFeaturesSeconds / DAY_SECONDS)) / context.assumptions.eventsPerShopper;
}

export function s3(context: CostContext): LineItem[] {
  const { assumptions: a, load } = context;
  const t = traffic(load, a);
  const storage = use(context.prices, 's3StandardGbMonth');
  const put = use(context.prices, 's3PutPerThousand');
  const get = use(context.prices, 's3GetPerThousand');
  const bytes = context.bench.eventBytes.value;
  // Steady state: every day of the retention holds one day of gzipped events.
  const lakeGb = (load.eventsPerDay * bytes * a.gzipRatio * dataLake.retentionDays) / 1e9;
  // Firehose writes an object per buffering interval while records flow (or per 64 MiB buffer).
  const rawPerMonth = t.eventsPerMonth * bytes;
  const objects =
    t.eventsPerMonth > 0
      ? Math.max(
          MINUTES_PER_MONTH / (dataLake.bufferingIntervalSeconds / 60),
          rawPerMonth / (dataLake.bufferingSizeMiB * 2 ** 20),
        )
      : 0;
  const runs = trainingRuns(context).runs;
  const objectsPerWindow = (objects / DAYS_PER_MONTH) * training.windowDays;
  const gets = runs * objectsPerWindow;
  // Artifacts: the versions kept, each its export (interactions, ~32 B each, gzipped) and its model
  // (64 float32 factors per shopper and per item).
  const windowInteractions = load.eventsPerDay * training.windowDays * a.interactionsPerEvent;
  const versionGb =
    (windowInteractions * 32 * a.gzipRatio + (storedShoppers(context) + load.catalogItems) * 64 * 4) / 1e9;
  const artifactsGb = runs > 0 ? training.keepVersions * versionGb : 0;
  return [
    {
      service: 'S3',
      item: `data lake, ${dataLake.retentionDays}-day retention (steady state)`,
      usd: lakeGb * storage[1].usd + (objects / 1000) * put[1].usd,
      formula:
        `${num(load.eventsPerDay)} events/day × ${num(bytes)} B × ${a.gzipRatio} gzip × ${dataLake.retentionDays} days = ${num(lakeGb, 1)} GB × ` +
        `${usd(storage[1].usd)} + ${num(objects)} objects (one per ${dataLake.bufferingIntervalSeconds} s buffer) × ${usd(put[1].usd)}/1,000 PUT`,
      prices: [storage, put],
    },
    {
      service: 'S3',
      item: 'training exports read the lake; model artifacts',
      usd: (gets / 1000) * get[1].usd + artifactsGb * storage[1].usd,
      formula:
        `${num(runs, 1)} runs × ${num(objectsPerWindow)} objects of ${training.windowDays} days × ${usd(get[1].usd)}/1,000 GET + ` +
        `${training.keepVersions} versions × ${num(versionGb, 2)} GB × ${usd(storage[1].usd)}`,
      prices: [get, storage],
    },
  ];
}

export function dynamoDb(context: CostContext): LineItem[] {
  const { assumptions: a, load, bench: b } = context;
  const t = traffic(load, a);
  const write = use(context.prices, 'dynamoWritePerMillion');
  const read = use(context.prices, 'dynamoReadPerMillion');
  const storage = use(context.prices, 'dynamoStorageGbMonth');
  const pitr = use(context.prices, 'dynamoPitrGbMonth');
  const storeWrites = t.eventsPerMonth * b.processorWritesPerEvent.value;
  const catalogueWrites = load.catalogItems * a.catalogueSyncsPerDay * DAYS_PER_MONTH * Math.ceil(a.catalogueItemKb);
  const wru = storeWrites * a.wruPerStoreWrite + t.missesPerMonth * a.wruPerMiss + catalogueWrites;
  const rru =
    storeWrites * a.rruPerProfileRead +
    t.recommendationsPerMonth * a.rruPerProfileRead +
    t.missesPerMonth * a.rruPerMissExtra;
  const itemDays = ttls.itemBucketSeconds / DAY_SECONDS;
  const servedListsKept = (t.missesPerMonth / DAYS_PER_MONTH) * serving.attributionDays;
  const gb =
    (storedShoppers(context) * a.profileKb +
      load.catalogItems * (a.catalogueItemKb + itemDays * a.itemDayKb) +
      servedListsKept * 1) /
    1e6;
  return [
    {
      service: 'DynamoDB',
      item: 'on-demand writes',
      usd: (wru / 1e6) * write[1].usd,
      formula:
        `(${num(t.eventsPerMonth)} events × ${num(b.processorWritesPerEvent.value, 3)} writes [${b.processorWritesPerEvent.from}] × ${a.wruPerStoreWrite} WRU ` +
        `+ ${num(t.missesPerMonth)} misses × ${a.wruPerMiss} WRU + ${num(catalogueWrites)} catalogue WRU) = ${num(wru)} WRU × ${usd(write[1].usd)}/M`,
      prices: [write],
    },
    {
      service: 'DynamoDB',
      item: 'on-demand reads',
      usd: (rru / 1e6) * read[1].usd,
      formula:
        `(${num(storeWrites)} processor profile reads + ${num(t.recommendationsPerMonth)} lists) × ${a.rruPerProfileRead} RRU + ` +
        `${num(t.missesPerMonth)} misses × ${a.rruPerMissExtra} RRU = ${num(rru)} RRU × ${usd(read[1].usd)}/M`,
      prices: [read],
    },
    {
      service: 'DynamoDB',
      item: 'storage and point-in-time recovery',
      usd: gb * (storage[1].usd + pitr[1].usd),
      formula:
        `(${num(storedShoppers(context))} profiles × ${a.profileKb} KB + ${num(load.catalogItems)} items × (${a.catalogueItemKb} KB + ` +
        `${itemDays} days × ${a.itemDayKb} KB) + ${num(servedListsKept)} served lists × 1 KB) = ${num(gb, 2)} GB × (${usd(storage[1].usd)} + ${usd(pitr[1].usd)})`,
      prices: [storage, pitr],
    },
  ];
}

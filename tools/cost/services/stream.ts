/** Kinesis Data Streams (on-demand or provisioned) and the Firehose delivery to the lake. */
import { HOURS_PER_MONTH } from '../assumptions.ts';
import { streamShards } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { traffic } from '../traffic.ts';

/** Consumers reading every record: the processor's event source mapping and Firehose. */
const CONSUMERS = 2;

export function kinesis(context: CostContext): LineItem[] {
  const t = traffic(context.load, context.assumptions);
  const bytes = context.bench.eventBytes.value;
  const { stream } = context.shape;
  if (stream.mode === 'on-demand') {
    const hour = use(context.prices, 'kinesisOnDemandStreamHour');
    const ingest = use(context.prices, 'kinesisOnDemandIngestGb');
    const retrieval = use(context.prices, 'kinesisOnDemandRetrievalGb');
    // One event a record, each rounded up to 1 KB.
    const gb = (t.eventsPerMonth * Math.ceil(bytes / 1024) * 1024) / 1024 ** 3;
    return [
      {
        service: 'Kinesis Data Streams',
        item: 'on-demand stream-hours',
        usd: HOURS_PER_MONTH * hour[1].usd,
        formula: `${HOURS_PER_MONTH} h × ${usd(hour[1].usd)}`,
        prices: [hour],
      },
      {
        service: 'Kinesis Data Streams',
        item: 'on-demand data in and out',
        usd: gb * ingest[1].usd + CONSUMERS * gb * retrieval[1].usd,
        formula:
          `${num(t.eventsPerMonth)} records × 1 KB (${num(bytes)} B [${context.bench.eventBytes.from}] rounded up) = ${num(gb, 1)} GB × ` +
          `${usd(ingest[1].usd)} + ${CONSUMERS} consumers × ${num(gb, 1)} GB × ${usd(retrieval[1].usd)}`,
        prices: [ingest, retrieval],
      },
    ];
  }
  const shardHour = use(context.prices, 'kinesisShardHour');
  const putUnits = use(context.prices, 'kinesisPutUnitsPerMillion');
  const units = t.eventsPerMonth * Math.ceil(bytes / (25 * 1024));
  const shards = streamShards(context);
  return [
    {
      service: 'Kinesis Data Streams',
      item: `provisioned shard-hours (${shards})`,
      usd: shards * HOURS_PER_MONTH * shardHour[1].usd,
      formula: `${shards} shards × ${HOURS_PER_MONTH} h × ${usd(shardHour[1].usd)}`,
      prices: [shardHour],
    },
    {
      service: 'Kinesis Data Streams',
      item: 'PUT payload units',
      usd: (units / 1e6) * putUnits[1].usd,
      formula: `${num(t.eventsPerMonth)} records × 1 unit of 25 KB = ${num(units)} × ${usd(putUnits[1].usd)}/M`,
      prices: [putUnits],
    },
  ];
}

/** Records read from the stream, each rounded up to 5 KB. */
export function firehose(context: CostContext): LineItem[] {
  const t = traffic(context.load, context.assumptions);
  const price = use(context.prices, 'firehoseIngestGb');
  const kb = Math.ceil(context.bench.eventBytes.value / (5 * 1024)) * 5;
  const gb = (t.eventsPerMonth * kb * 1024) / 1024 ** 3;
  return [
    {
      service: 'Data Firehose',
      item: 'ingestion from the stream',
      usd: gb * price[1].usd,
      formula: `${num(t.eventsPerMonth)} records × ${kb} KB = ${num(gb, 1)} GB × ${usd(price[1].usd)}`,
      prices: [price],
    },
  ];
}

/** ElastiCache Serverless (Valkey), or nothing for the in-process LRU. */
import { serving } from '#shared/config/index.ts';
import { HOURS_PER_MONTH } from '../assumptions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { traffic } from '../traffic.ts';

/** Valkey serverless meters at least 100 MB; the stack caps the cache at 1 GB (`RecommendationCache`). */
const MIN_GB = 0.1;
const MAX_GB = 1;

export function elastiCache(context: CostContext): LineItem[] {
  if (context.shape.cache !== 'elasticache') {
    return [
      {
        service: 'ElastiCache',
        item: 'none: in-process LRU',
        usd: 0,
        formula: 'each recommend instance caches in its own memory',
        prices: [],
      },
    ];
  }
  const { assumptions: a } = context;
  const t = traffic(context.load, a);
  const gbHour = use(context.prices, 'valkeyServerlessGbHour');
  const ecpu = use(context.prices, 'valkeyServerlessEcpuPerMillion');
  // Keys alive: each miss stores an answer for the personalised TTL.
  const liveKeys = t.missesPerSecond * serving.recommendationTtlSeconds;
  const gb = Math.min(MAX_GB, Math.max(MIN_GB, (liveKeys * a.cachedAnswerBytes) / 1e9));
  const kb = Math.ceil(a.cachedAnswerBytes / 1024);
  // 1 ECPU per KB moved: a hit is one GET, a miss a GET and a SET.
  const ecpus = (t.hitsPerMonth + 2 * t.missesPerMonth) * kb;
  return [
    {
      service: 'ElastiCache Serverless',
      item: 'data stored',
      usd: gb * HOURS_PER_MONTH * gbHour[1].usd,
      formula: `max(${MIN_GB} GB minimum, ${num(liveKeys)} live keys × ${num(a.cachedAnswerBytes)} B) = ${num(gb, 3)} GB × ${HOURS_PER_MONTH} h × ${usd(gbHour[1].usd)}`,
      prices: [gbHour],
    },
    {
      service: 'ElastiCache Serverless',
      item: 'ECPUs',
      usd: (ecpus / 1e6) * ecpu[1].usd,
      formula: `(${num(t.hitsPerMonth)} hits + 2 × ${num(t.missesPerMonth)} misses) × ${kb} ECPU = ${num(ecpus)} × ${usd(ecpu[1].usd)}/M`,
      prices: [ecpu],
    },
  ];
}

/** API Gateway (both REST APIs) and the answers' data transfer out. */
import { traffic } from '../traffic.ts';
import { num, tiered, use, usd, type CostContext, type LineItem } from '../model.ts';

/**
 * Storefront and server REST API requests. The volume tiers count every REST request of the
 * account and region, so both APIs are tiered together and the cost split by their requests.
 */
export function apiGateway(context: CostContext): LineItem[] {
  const t = traffic(context.load, context.assumptions);
  const tiers = context.prices.apiGatewayRestTiers;
  const total = t.storefrontRequestsPerMonth + t.serverRequestsPerMonth;
  const perRequest = total > 0 ? tiered(total, tiers, 1e6) / total : 0;
  const first = tiers[0];
  const tierText =
    total <= (first?.upTo ?? 0)
      ? `${usd(first?.price.usd ?? Number.NaN)}/M (first tier)`
      : `${usd(perRequest * 1e6)}/M (mean over the tiers of ${num(total)} REST requests)`;
  const prices = tiers.map((tier, i) => [`apiGatewayRestTiers[${i}]`, tier.price] as const);
  const line = (item: string, requests: number, how: string): LineItem => ({
    service: 'API Gateway',
    item,
    usd: requests * perRequest,
    formula: `${num(requests)} requests (${how}) × ${tierText}`,
    prices: total <= (first?.upTo ?? 0) ? prices.slice(0, 1) : prices,
  });
  return [
    line(
      'storefront REST API',
      t.storefrontRequestsPerMonth,
      `${num(t.eventRequestsPerMonth)} event requests of ${context.assumptions.eventsPerRequest} + ${num(t.recommendationsPerMonth)} lists`,
    ),
    line('server REST API', t.serverRequestsPerMonth, `catalogue syncs of ${num(context.load.catalogItems)} items`),
  ];
}

/** The lists' bytes to shoppers' browsers (the events' answers are a few bytes). */
export function dataTransfer(context: CostContext): LineItem[] {
  const t = traffic(context.load, context.assumptions);
  const price = use(context.prices, 'dataTransferOutGb');
  const bytes = context.bench.responseBytes.value;
  const gb = (t.recommendationsPerMonth * bytes) / 1e9;
  return [
    {
      service: 'Data transfer',
      item: 'lists out to the internet',
      usd: gb * price[1].usd,
      formula: `${num(t.recommendationsPerMonth)} lists × ${num(bytes)} B [${context.bench.responseBytes.from}] = ${num(gb, 1)} GB × ${usd(price[1].usd)}/GB`,
      prices: [price],
    },
  ];
}

/** API Gateway (both REST APIs) and the answers' data transfer out. */
import { traffic } from '../traffic.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';

/** Storefront and server REST API requests, at the first tier's price (up to 333 million a month). */
export function apiGateway(context: CostContext): LineItem[] {
  const t = traffic(context.load, context.assumptions);
  const price = use(context.prices, 'apiGatewayRestPerMillion');
  const line = (item: string, requests: number, how: string): LineItem => ({
    service: 'API Gateway',
    item,
    usd: (requests / 1e6) * price[1].usd,
    formula: `${num(requests)} requests (${how}) × ${usd(price[1].usd)}/M`,
    prices: [price],
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
